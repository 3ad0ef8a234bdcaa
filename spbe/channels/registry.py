"""Builds the configured channels from the `[channels]` section: the one module that knows every implementation."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from spbe.channels.base import Channel
from spbe.channels.email import EmailChannel
from spbe.channels.file import FileChannel
from spbe.channels.telegram import TelegramChannel
from spbe.channels.webhook import WebhookChannel
from spbe.channels.whatsapp import WhatsAppChannel
from spbe.errors import ConfigError

CHANNEL_NAMES = ("webhook", "telegram", "whatsapp", "email", "file")


def build_channels(
    section: Mapping[str, Any], *, data_dir: Path, env: Mapping[str, str] | None = None
) -> dict[str, Channel]:
    """Every configured channel (sub-table of [channels]) that is not switched off with `enabled = false`."""

    if env is None:
        from spbe.settings import get_settings

        env = get_settings().environ
    makers = {
        "webhook": WebhookChannel.from_config,
        "telegram": TelegramChannel.from_config,
        "whatsapp": WhatsAppChannel.from_config,
        "email": EmailChannel.from_config,
        "file": FileChannel.from_config,
    }
    problems: list[str] = []
    out: dict[str, Channel] = {}
    for name, maker in makers.items():
        spec = section.get(name)
        if not isinstance(spec, Mapping) or spec.get("enabled", True) is False:
            continue
        try:
            out[name] = maker(spec, env=env, data_dir=data_dir)
        except ConfigError as exc:
            problems.extend(f"[channels.{name}] {p}" for p in exc.problems)
    unknown = [k for k, v in section.items() if isinstance(v, Mapping) and k not in makers]
    if unknown:
        problems.append(f"[channels] unknown channel(s) {unknown}; known: {', '.join(CHANNEL_NAMES)}")
    if problems:
        raise ConfigError(problems)
    return out
