"""The file/console channel for demos and trials: one JSON line per message (or the text on stdout with
path "-"). Always reaches everyone, so it is the last resort of a fallback order."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spbe import clock
from spbe.channels.base import Outcome, Outgoing, Recipient


@dataclass
class FileChannel:
    path: Path | None  # None: the console
    rate_per_second: float | None = None
    concurrency: int | None = None
    name: str = "file"
    secrets: tuple[str, ...] = ()
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_config(cls, spec: Mapping[str, Any], *, env: Mapping[str, str], data_dir: Path) -> FileChannel:
        raw = str(spec.get("path", "outbox.log"))
        if raw == "-":
            return cls(None)
        path = Path(raw)
        return cls(path if path.is_absolute() else data_dir / path)

    def can_reach(self, recipient: Recipient) -> bool:
        return True

    async def send(self, message: Outgoing, client: Any) -> Outcome:
        try:
            await asyncio.to_thread(self._write, message)
        except OSError as exc:
            return Outcome.retry(f"file: {exc.__class__.__name__}: {exc}")
        return Outcome.ok()

    def _write(self, message: Outgoing) -> None:
        if self.path is None:
            sys.stdout.write(f"--- {message.recipient.name} <{message.recipient.key}> [{message.key}]\n")
            sys.stdout.write(f"Subjek: {message.subject}\n{message.body}\n")
            sys.stdout.flush()
            return
        line = json.dumps(
            {
                "at": clock.now().isoformat(),
                "idempotency_key": message.key,
                "recipient": message.recipient.key,
                "recipient_name": message.recipient.name,
                "kind": message.kind,
                "phase": message.phase,
                "subject": message.subject,
                "body": message.body,
            },
            ensure_ascii=False,
        )
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
