"""Event loop lag: how late the loop wakes a sleeping task. A blocking call anywhere in the app
shows here; ``/healthz`` reports it and the benchmark reads it."""

from __future__ import annotations

import asyncio
import time

from bot.tasks import cancel_and_wait


class LoopLagMonitor:
    """Sleeps ``interval_s`` (seconds) in a loop and records how much later than asked it woke.
    ``max_lag_s`` is the worst lag seen since start, in seconds."""

    def __init__(self, interval_s: float = 0.05) -> None:
        self.interval_s = interval_s
        self.max_lag_s = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start measuring on the running loop."""
        self._task = asyncio.create_task(self._run(), name="imagine-loop-lag")

    async def stop(self) -> None:
        """Stop measuring."""
        await cancel_and_wait(self._task)

    async def _run(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self.interval_s)
            lag = time.perf_counter() - asked - self.interval_s
            self.max_lag_s = max(self.max_lag_s, lag)
