"""Load benchmark: a burst of signed ``/imagine`` commands against ``python -m bot``.

Run from the repository root (only 127.0.0.1 is used)::

    python -m bench.run                                  # 500 commands, 5 s backend, ~2 MB PNGs
    python -m bench.run --commands 100                   # "100 in flight": the memory target
    python -m bench.run --with-quotas                    # every ack reserves in the database
    python -m bench.run --commands 100 --with-input-images  # mentions with a 1 MB PNG each
    python -m bench.run --commands 20 --latency 1 --json # machine-readable

What it does, in order:

1. Starts :class:`tests.fakes.FakeSlack` (upload bytes not kept, so this process stays small)
   and :class:`tests.fakes.FakeOpenAI` (``--latency`` seconds per image, real PNGs of about
   ``--image-bytes``) in this process's event loop.
2. Starts ``python -m bot`` as a subprocess pointed at them, on a free port, with
   ``LOG_LEVEL=WARNING``, the ``MAX_*`` settings given here and a fresh SQLite database in a
   temporary directory (or ``--database-url``), and waits for ``/healthz``.
3. Fires ``--commands`` signed ``/imagine`` commands at once (one aiohttp session, no connection
   limit) and records each ack's latency (send to full response), HTTP status and whether the
   ack says the image is being generated.
4. Samples the app's ``VmRSS`` every 100 ms (``VmHWM`` at the end is the peak) and polls
   ``/healthz`` for jobs running and waiting, until every image is delivered to the fake Slack,
   every command ended in an error notice, the app died, or ``--timeout`` passed.
5. Reads ``loop_lag_max_ms`` from ``/healthz``, sends SIGTERM, expects exit code 0, and prints
   the report with PASS/FAIL per target (exit status 0 only when every target passed).

Targets (issue #4, on a 2-core machine, 5 s backend): every command acked under 3 s, ack p99
under 500 ms, every image delivered, peak RSS under 300 MB, event loop lag under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench import input_images
from tests.conftest import BOT_TOKEN, OPENAI_KEY
from tests.fakes import FakeOpenAI, FakeSlack
from tests.harness import BotProcess, bot_environment, free_port, sign, slash_command_body

ROOT = Path(__file__).resolve().parents[1]


# Targets from issue #4.
ACK_DEADLINE_S = 3.0
ACK_P99_LIMIT_MS = 500.0
RSS_LIMIT_MB = 300.0
LOOP_LAG_LIMIT_MS = 100.0

RSS_SAMPLE_INTERVAL_S = 0.1
HEALTH_POLL_INTERVAL_S = 0.25
DELIVERY_POLL_INTERVAL_S = 0.02
STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_GRACE_S = 25.0
UNREACHED_IMAGE_LIMIT = 1_000_000  # --with-quotas: limits set, never reached
UNREACHED_BUDGET_USD = 1_000_000
REALISTIC_IMAGE_BYTES = (1_500_000, 3_000_000)


# --- command line ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the benchmark's command line (``argv`` defaults to ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Fire N signed /imagine commands at once at `python -m bot` running against "
        "local fake Slack and OpenAI servers; report ack latency, delivery, peak RSS and loop lag.",
    )
    parser.add_argument(
        "--commands", type=int, default=500, help="commands fired at once (default 500)"
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=5.0,
        help="seconds the fake OpenAI takes per image (default 5)",
    )
    parser.add_argument(
        "--image-bytes",
        type=int,
        default=2_000_000,
        help="approximate size of each PNG in bytes (default 2000000; realistic: 1.5-3 MB)",
    )
    parser.add_argument(
        "--max-concurrent-jobs",
        type=int,
        default=100,
        help="MAX_CONCURRENT_JOBS for the app: jobs generating at once (default 100)",
    )
    parser.add_argument(
        "--max-payloads-in-memory",
        type=int,
        default=6,
        help="MAX_PAYLOADS_IN_MEMORY for the app: jobs holding image bytes (default 6, as the app)",
    )
    parser.add_argument(
        "--max-queued-jobs",
        type=int,
        default=None,
        help="MAX_QUEUED_JOBS for the app (default: --commands, so no command is refused)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="DATABASE_URL for the app (default: a fresh SQLite file in a temporary directory)",
    )
    parser.add_argument(
        "--with-quotas",
        action="store_true",
        help="set USER_DAILY_IMAGE_LIMIT and MONTHLY_BUDGET_USD far above what the run uses, so "
        "every command goes through the quota reservation (database) before its ack",
    )
    parser.add_argument(
        "--n-per-command", type=int, default=1, help="images per command, --n (default 1)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=180.0,
        help="seconds to wait for every image after the burst (default 180)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    input_images.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.commands < 1:
        parser.error("--commands must be at least 1")
    if args.latency < 0 or args.timeout <= 0:
        parser.error("--latency must be >= 0 and --timeout > 0")
    if args.image_bytes < 1000:
        parser.error("--image-bytes must be at least 1000")
    if not 1 <= args.n_per_command <= 10:
        parser.error("--n-per-command must be 1 to 10")
    if args.max_concurrent_jobs < 1 or args.max_payloads_in_memory < 1:
        parser.error("--max-concurrent-jobs and --max-payloads-in-memory must be at least 1")
    if args.max_queued_jobs is None:
        args.max_queued_jobs = args.commands
    return args


# --- results --------------------------------------------------------------------------------


@dataclass
class Ack:
    """One command's answer: ``latency_s`` from send to the full response, HTTP ``status``
    (0 when the request failed), the ack ``text``, and ``error`` for a failed request."""

    latency_s: float
    status: int
    text: str = ""
    error: str | None = None
    event: bool = False  # an Events API ack (--with-input-images): an empty 200

    @property
    def accepted(self) -> bool:
        """True when the ack says the images are being generated (now or after a wait), or
        is an event's 200."""
        return self.status == 200 and (self.event or "generating" in self.text.lower())

    @property
    def queued(self) -> bool:
        """True when the ack gives a place in line."""
        return self.accepted and "in line" in self.text


@dataclass
class Target:
    """One of issue #4's targets: what was measured against what limit."""

    name: str
    measured: str
    passed: bool


@dataclass
class Report:
    """Everything the benchmark measured; :meth:`targets` judges it."""

    commands: int
    n_per_command: int
    latency_s: float
    image_bytes: int
    max_concurrent_jobs: int
    max_payloads_in_memory: int
    with_quotas: bool = False
    with_input_images: bool = False
    acks_200: int = 0
    acks_non_200: int = 0
    acks_accepted: int = 0
    acks_queued: int = 0
    acked_under_3s: int = 0
    ack_p50_ms: float = 0.0
    ack_p99_ms: float = 0.0
    ack_max_ms: float = 0.0
    images_expected: int = 0
    images_delivered: int = 0
    delivered_bytes_min: int = 0
    delivered_bytes_max: int = 0
    error_notices: int = 0
    delivery_s: float | None = None
    peak_rss_mb: float = 0.0
    max_sampled_rss_mb: float = 0.0
    rss_samples: int = 0
    loop_lag_max_ms: float | None = None
    bench_loop_lag_max_ms: float = 0.0
    peak_running: int = 0
    peak_waiting: int = 0
    exit_code: int | None = None
    timed_out: bool = False
    notes: list[str] = field(default_factory=list)
    app_log_tail: list[str] = field(default_factory=list)
    ack_errors: list[str] = field(default_factory=list)

    def targets(self) -> list[Target]:
        """PASS/FAIL per target of issue #4, plus a clean exit on SIGTERM."""
        lag = self.loop_lag_max_ms
        return [
            Target(
                f"every command acked under {ACK_DEADLINE_S:g} s",
                f"{self.acked_under_3s}/{self.commands}",
                self.acked_under_3s == self.commands and self.acks_accepted == self.commands,
            ),
            Target(
                f"ack p99 under {ACK_P99_LIMIT_MS:g} ms",
                f"{self.ack_p99_ms:.0f} ms",
                self.ack_p99_ms < ACK_P99_LIMIT_MS,
            ),
            Target(
                "every image delivered",
                f"{self.images_delivered}/{self.images_expected}",
                self.images_delivered == self.images_expected and self.error_notices == 0,
            ),
            Target(
                f"peak RSS under {RSS_LIMIT_MB:g} MB",
                f"{self.peak_rss_mb:.0f} MB",
                0 < self.peak_rss_mb < RSS_LIMIT_MB,
            ),
            Target(
                f"event loop lag under {LOOP_LAG_LIMIT_MS:g} ms",
                "unknown" if lag is None else f"{lag:.0f} ms",
                lag is not None and lag < LOOP_LAG_LIMIT_MS,
            ),
            Target("exit code 0 after SIGTERM", str(self.exit_code), self.exit_code == 0),
        ]

    @property
    def passed(self) -> bool:
        """True when every target passed."""
        return all(target.passed for target in self.targets())

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data (for ``--json``), targets included."""
        data = asdict(self)
        data["targets"] = [asdict(target) for target in self.targets()]
        data["passed"] = self.passed
        return data

    def render(self) -> str:
        """The human-readable report."""
        mb = self.image_bytes / 1e6
        delivery = "not finished" if self.delivery_s is None else f"{self.delivery_s:.1f} s"
        lines = [
            f"Imagine benchmark: {self.commands} x /imagine ({self.n_per_command} image(s) each), "
            f"backend latency {self.latency_s:g} s, PNG {mb:.2f} MB, "
            f"MAX_CONCURRENT_JOBS={self.max_concurrent_jobs}, "
            f"MAX_PAYLOADS_IN_MEMORY={self.max_payloads_in_memory}"
            + (", quotas on" if self.with_quotas else "")
            + (", mentions with an input image" if self.with_input_images else ""),
            f"  commands       {self.commands}",
            f"  acks           {self.acks_200} HTTP 200, {self.acks_non_200} other; "
            f"{self.acks_accepted} 'Generating' ({self.acks_queued} of them queued)",
            f"  acked < 3 s    {self.acked_under_3s}/{self.commands}",
            f"  ack latency    p50 {self.ack_p50_ms:.0f} ms, p99 {self.ack_p99_ms:.0f} ms, "
            f"max {self.ack_max_ms:.0f} ms",
            f"  images         {self.images_delivered}/{self.images_expected} delivered "
            f"({self.delivered_bytes_min / 1e6:.2f}-{self.delivered_bytes_max / 1e6:.2f} MB each), "
            f"{self.error_notices} error notices",
            f"  delivery time  {delivery} (first command sent -> last image delivered)",
            f"  jobs           peak {self.peak_running} running, {self.peak_waiting} waiting",
            f"  peak RSS       {self.peak_rss_mb:.0f} MB (VmHWM; max sampled VmRSS "
            f"{self.max_sampled_rss_mb:.0f} MB over {self.rss_samples} samples)",
            f"  loop lag       max {self.loop_lag_max_ms} ms (app /healthz); "
            f"{self.bench_loop_lag_max_ms:.0f} ms in the benchmark's own loop",
            f"  exit code      {self.exit_code} after SIGTERM",
            "targets:",
        ]
        for target in self.targets():
            lines.append(
                f"  {'PASS' if target.passed else 'FAIL'}  {target.name:<34} {target.measured}"
            )
        lines += [f"note: {note}" for note in self.notes]
        if self.ack_errors:
            lines.append("ack errors (first 5): " + "; ".join(self.ack_errors[:5]))
        if self.timed_out:
            lines.append("delivery timed out")
        if not self.passed and self.app_log_tail:
            lines.append("app log (last lines):")
            lines += [f"  | {line}" for line in self.app_log_tail[-20:]]
        return "\n".join(lines)


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank ``pct`` percentile of ``values`` (0 for an empty list)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


# --- helpers --------------------------------------------------------------------------------


def command_body(index: int, n: int, response_url: str) -> str:
    """A form-encoded ``/imagine`` slash command as Slack sends it, one user per command."""
    text = f"a lighthouse in a storm, variation {index}"
    if n > 1:
        text = f"--n {n} {text}"
    return slash_command_body(text, response_url, user=f"U{index:06d}")


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


class _LoopLag:
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


def app_environment(
    slack: FakeSlack, openai: FakeOpenAI, args: argparse.Namespace, database_url: str
) -> dict[str, str]:
    """The app's environment for this run: the fakes, ``database_url`` and the ``MAX_*``
    settings of ``args``; with ``--with-quotas``, limits that are never reached."""
    settings = {
        "LOG_LEVEL": "WARNING",
        "MAX_CONCURRENT_JOBS": str(args.max_concurrent_jobs),
        "MAX_QUEUED_JOBS": str(args.max_queued_jobs),
        "MAX_PAYLOADS_IN_MEMORY": str(args.max_payloads_in_memory),
        "MAX_IMAGES": str(max(args.n_per_command, 5)),
        "SHUTDOWN_GRACE_S": str(SHUTDOWN_GRACE_S),
    }
    if args.with_quotas:
        settings["USER_DAILY_IMAGE_LIMIT"] = str(UNREACHED_IMAGE_LIMIT)
        settings["MONTHLY_BUDGET_USD"] = str(UNREACHED_BUDGET_USD)
    return bot_environment(slack, openai.base_url, database_url, free_port(), **settings)


async def read_health(session: aiohttp.ClientSession, app: BotProcess) -> dict[str, Any] | None:
    """The JSON of the app's ``GET /healthz``, or ``None`` when it cannot be read."""
    try:
        async with session.get(
            f"{app.url}/healthz", timeout=aiohttp.ClientTimeout(total=5)
        ) as response:
            return await response.json()  # type: ignore[no-any-return]
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError):
        return None


# --- the benchmark --------------------------------------------------------------------------


async def fire(
    session: aiohttp.ClientSession,
    url: str,
    bodies: list[str],
    content_type: str = "application/x-www-form-urlencoded",
) -> tuple[float, list[Ack]]:
    """POST every body (signed just before) at once. Returns the moment the first was sent
    (``time.monotonic()``) and one :class:`Ack` per body, in order."""
    prepared = [(body, {"Content-Type": content_type, **sign(body)}) for body in bodies]
    event = content_type == input_images.CONTENT_TYPE
    timeout = aiohttp.ClientTimeout(total=60)

    async def one(body: str, headers: dict[str, str]) -> Ack:
        sent = time.monotonic()
        try:
            async with session.post(url, data=body, headers=headers, timeout=timeout) as response:
                raw = await response.text()
                status = response.status
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return Ack(time.monotonic() - sent, 0, error=f"{type(exc).__name__}: {exc}")
        try:
            text = str(json.loads(raw).get("text", ""))
        except (ValueError, AttributeError):
            text = raw[:200]
        return Ack(time.monotonic() - sent, status, text, event=event)

    first_sent = time.monotonic()
    acks = await asyncio.gather(*(one(body, headers) for body, headers in prepared))
    return first_sent, list(acks)


class _Sampler:
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


async def _await_delivery(
    slack: FakeSlack, app: BotProcess, report: Report, first_sent: float, timeout_s: float
) -> None:
    """Poll the fake Slack until every image is delivered, every accepted command ended in a
    delivery or an error notice, the app died, or ``timeout_s`` passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        sizes = [f["length"] for message in slack.messages for f in message.files]
        report.images_delivered = len(sizes)
        report.error_notices = len(slack.responses)
        if sizes:
            report.delivered_bytes_min, report.delivered_bytes_max = min(sizes), max(sizes)
        if report.images_delivered >= report.images_expected:
            report.delivery_s = time.monotonic() - first_sent
            return
        ended = sum(1 for message in slack.messages if message.files) + report.error_notices
        if ended >= report.acks_accepted or app.process.returncode is not None:
            return
        if time.monotonic() >= deadline:
            report.timed_out = True
            return
        await asyncio.sleep(DELIVERY_POLL_INTERVAL_S)


async def _measure(
    slack: FakeSlack, app: BotProcess, args: argparse.Namespace, report: Report
) -> None:
    """Fire the burst at the running app and fill ``report`` (all but the exit code)."""
    content_type = "application/x-www-form-urlencoded"
    if args.with_input_images:
        content_type = input_images.CONTENT_TYPE
        bodies = input_images.mention_bodies(
            slack, args.commands, args.input_image_bytes, args.n_per_command
        )
    else:
        bodies = [
            command_body(i, args.n_per_command, slack.new_response_url())
            for i in range(args.commands)
        ]
    burst = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True))
    async with burst, aiohttp.ClientSession() as probe:
        sampler = _Sampler(app, probe, report)
        try:
            first_sent, acks = await fire(burst, f"{app.url}/slack/events", bodies, content_type)
            _summarise_acks(report, acks)
            await _await_delivery(slack, app, report, first_sent, args.timeout)
        finally:
            await sampler.stop()
        health = await read_health(probe, app)
    if health is not None:
        report.loop_lag_max_ms = float(health["loop_lag_max_ms"])
    report.peak_rss_mb = (read_status_kb(app.process.pid, "VmHWM") or 0) / 1024
    report.max_sampled_rss_mb = sampler.rss_peak_kb / 1024


async def run(args: argparse.Namespace) -> Report:
    """The benchmark itself (see the module docstring): start the fakes and the app, fire the
    burst, wait for delivery, stop the app, and return the :class:`Report`.

    Raises ``RuntimeError`` when the app does not start."""
    report = Report(
        commands=args.commands,
        n_per_command=args.n_per_command,
        latency_s=args.latency,
        image_bytes=args.image_bytes,
        max_concurrent_jobs=args.max_concurrent_jobs,
        max_payloads_in_memory=args.max_payloads_in_memory,
        with_quotas=args.with_quotas,
        with_input_images=args.with_input_images,
        images_expected=args.commands * args.n_per_command,
    )
    low, high = REALISTIC_IMAGE_BYTES
    if not low <= args.image_bytes <= high:
        report.notes.append(f"--image-bytes {args.image_bytes} is outside the realistic 1.5-3 MB")
    bench_lag = _LoopLag()
    lag_task = asyncio.create_task(bench_lag.run())
    slack = FakeSlack(bot_token=BOT_TOKEN, keep_upload_bytes=False)
    openai = FakeOpenAI(api_key=OPENAI_KEY, latency_s=args.latency, image_bytes=args.image_bytes)
    try:
        async with slack, openai, _database_url(args.database_url) as database_url:
            environment = app_environment(slack, openai, args, database_url)
            app = await BotProcess.start(environment, keep_lines=200, timeout_s=STARTUP_TIMEOUT_S)
            try:
                await _measure(slack, app, args, report)
            finally:
                report.exit_code = await app.stop(SHUTDOWN_GRACE_S + 15)
                report.app_log_tail = list(app.lines)
    finally:
        lag_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await lag_task
        report.bench_loop_lag_max_ms = bench_lag.max_lag_s * 1000
    return report


@contextlib.asynccontextmanager
async def _database_url(given: str | None) -> AsyncIterator[str]:
    """``given``, or a fresh SQLite database in a temporary directory removed afterwards."""
    if given:
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="imagine-bench-") as directory:
        yield f"sqlite+aiosqlite:///{Path(directory) / 'imagine.db'}"


def _summarise_acks(report: Report, acks: list[Ack]) -> None:
    latencies_ms = [ack.latency_s * 1000 for ack in acks]
    report.acks_200 = sum(1 for ack in acks if ack.status == 200)
    report.acks_non_200 = len(acks) - report.acks_200
    report.acks_accepted = sum(1 for ack in acks if ack.accepted)
    report.acks_queued = sum(1 for ack in acks if ack.queued)
    report.acked_under_3s = sum(
        1 for ack in acks if ack.status == 200 and ack.latency_s < ACK_DEADLINE_S
    )
    report.ack_p50_ms = percentile(latencies_ms, 50)
    report.ack_p99_ms = percentile(latencies_ms, 99)
    report.ack_max_ms = max(latencies_ms, default=0.0)
    report.ack_errors = [
        ack.error or f"HTTP {ack.status}: {ack.text[:80]}" for ack in acks if not ack.accepted
    ][:20]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; exit status 0 when every target passed."""
    args = parse_args(argv)
    report = asyncio.run(run(args))
    print(json.dumps(report.as_dict(), indent=2) if args.json else report.render())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
