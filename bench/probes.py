"""What the benchmark reads while the burst is served: the app's CPU time and memory (from
``/proc``), its ``/healthz``, and the benchmark's own event loop lag (a busy benchmark would
inflate the latencies it measures)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from typing import Any

import aiohttp

from bench.report import Report
from tests.harness import BotProcess

RSS_SAMPLE_INTERVAL_S = 0.1
HEALTH_POLL_INTERVAL_S = 0.25


def read_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system, all threads) process ``pid`` has used, from
    ``/proc/<pid>/stat`` (fields 14 and 15, in clock ticks); ``None`` when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_status_kb(pid: int, key: str) -> int | None:
    """A ``kB`` field (``VmRSS``, ``VmHWM``) of ``/proc/<pid>/status``; ``None`` when gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


class LoopLag:
    """The benchmark's own event loop lag (a busy benchmark would inflate ack latencies)."""

    def __init__(self, interval_s: float = 0.05) -> None:
        self.interval_s = interval_s
        self.max_lag_s = 0.0

    async def run(self) -> None:
        """Measure until cancelled."""
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self.interval_s)
            self.max_lag_s = max(self.max_lag_s, time.perf_counter() - asked - self.interval_s)


async def read_health(session: aiohttp.ClientSession, app: BotProcess) -> dict[str, Any] | None:
    """The JSON of the app's ``GET /healthz``, or ``None`` when it cannot be read."""
    try:
        async with session.get(
            f"{app.url}/healthz", timeout=aiohttp.ClientTimeout(total=5)
        ) as response:
            return await response.json()  # type: ignore[no-any-return]
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError):
        return None


class Sampler:
    """While the burst is served: the app's ``VmRSS`` every 100 ms and the jobs running and
    waiting from ``/healthz`` every 250 ms (both recorded in ``report``)."""

    def __init__(self, app: BotProcess, probe: aiohttp.ClientSession, report: Report) -> None:
        self._app, self._probe, self._report = app, probe, report
        self.rss_peak_kb = 0
        self._tasks = [asyncio.create_task(self._rss()), asyncio.create_task(self._health())]

    async def _rss(self) -> None:
        while True:
            rss = read_status_kb(self._app.process.pid, "VmRSS")
            if rss is not None:
                self.rss_peak_kb = max(self.rss_peak_kb, rss)
                self._report.rss_samples += 1
            await asyncio.sleep(RSS_SAMPLE_INTERVAL_S)

    async def _health(self) -> None:
        report = self._report
        while True:
            health = await read_health(self._probe, self._app)
            if health:
                report.peak_running = max(report.peak_running, int(health.get("running", 0)))
                report.peak_waiting = max(report.peak_waiting, int(health.get("waiting", 0)))
            await asyncio.sleep(HEALTH_POLL_INTERVAL_S)

    async def stop(self) -> None:
        """Stop sampling."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
