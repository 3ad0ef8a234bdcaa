"""What the dispatcher is configured with: the cycle's channels, their order and limits, and the sending
window, validated once from `[channels]` and `[reminders]` (and SPBE_WEBHOOK_URL / SPBE_FORCE_CHANNEL)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spbe.channels.base import Channel, Recipient, Redactor, guard_library_logs
from spbe.channels.registry import build_channels
from spbe.domain.reminders import ReminderRules, SendingWindow
from spbe.errors import ConfigError
from spbe.store import models as m


@dataclass
class DispatchSettings:
    rules: ReminderRules
    window: SendingWindow
    channels: dict[str, Channel]
    order: tuple[str, ...]
    forced: str | None = None
    concurrency: int = 16
    timeout: float = 10.0
    batch_size: int = 200
    flush_every: int = 50  # results written per transaction while a batch is in flight ...
    flush_seconds: float = 0.25  # ... or sooner: what a crash may repeat is what was not yet written

    @property
    def redactor(self) -> Redactor:
        return Redactor(s for ch in self.channels.values() for s in ch.secrets)


def settings_for(
    cycle: m.Cycle, *, env: Mapping[str, str] | None = None, data_dir: Path | None = None
) -> DispatchSettings:
    """Channels and limits from the cycle's config, with `SPBE_WEBHOOK_URL` and `SPBE_FORCE_CHANNEL` applied."""
    from spbe.services.cycles import cycle_config_for, rules_for
    from spbe.settings import get_settings

    env = get_settings().environ if env is None else env
    rules, window = rules_for(cycle)
    section = cycle_config_for(cycle.config_path).section("channels")
    return settings_from_section(
        section,
        rules=rules,
        window=window,
        env=env,
        data_dir=data_dir or get_settings().data_dir,
        source=Path(cycle.config_path).name,
    )


def settings_from_section(
    section: Mapping[str, Any],
    *,
    rules: ReminderRules,
    window: SendingWindow,
    env: Mapping[str, str],
    data_dir: Path,
    source: str = "config",
) -> DispatchSettings:
    try:
        channels = build_channels(section, data_dir=data_dir, env=env)
    except ConfigError as exc:
        raise ConfigError(exc.problems, source=source) from None
    order = tuple(section.get("order", ["webhook", "file"]))
    problems = [f"[channels] order names {name!r}, which is not configured" for name in order if name not in channels]
    forced = env.get("SPBE_FORCE_CHANNEL") or None
    if forced and forced not in channels:
        problems.append(f"SPBE_FORCE_CHANNEL={forced}: no such channel configured; configured: {', '.join(channels)}")
    concurrency = section.get("concurrency", 16)
    timeout = section.get("timeout_seconds", 10)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        problems.append(f"[channels] concurrency must be a whole number >= 1, got {concurrency!r}")
        concurrency = 16
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        problems.append(f"[channels] timeout_seconds must be a positive number, got {timeout!r}")
        timeout = 10
    if problems:
        raise ConfigError(problems, source=source)
    settings = DispatchSettings(rules, window, channels, order, forced, int(concurrency), float(timeout))
    guard_library_logs(settings.redactor)
    return settings


def safe_batch(settings: DispatchSettings) -> int:
    """No more rows per claim than the slowest channel can send in half a lease: a claim must not run out
    while its rows still wait behind a rate limit, or another dispatcher would take them back and send
    them a second time."""
    rates = [ch.rate_per_second for ch in settings.channels.values() if ch.rate_per_second]
    if not rates:
        return settings.batch_size
    return max(1, min(settings.batch_size, int(settings.rules.lease_seconds * 0.5 * min(rates))))


def route(recipient: Recipient, settings: DispatchSettings) -> list[Channel]:
    """The channels to try, in order: the forced one, else the person's own order, else the config's."""
    if settings.forced:
        names: tuple[str, ...] = (settings.forced,)
    else:
        names = tuple(n for n in recipient.channels if n in settings.channels) or settings.order
    return [settings.channels[n] for n in names if n in settings.channels]
