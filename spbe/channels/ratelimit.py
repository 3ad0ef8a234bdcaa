"""Per-channel pacing: messages leave at most `rate` per second (real time: it protects the gateway)."""

from __future__ import annotations

import asyncio


class RateLimiter:
    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next)
        self._next = slot + self.interval  # taken before awaiting: no two callers get one slot
        if slot > now:
            await asyncio.sleep(slot - now)
