"""Load benchmark: a burst of signed ``/imagine`` commands against ``python -m bot``.

Run from the repository root (only 127.0.0.1 is used)::

    python -m bench.run                                  # 500 commands, 5 s backend, ~2 MB PNGs
    python -m bench.run --commands 100                   # "100 in flight": the memory target
    python -m bench.run --with-quotas                    # every ack reserves in the database
    python -m bench.run --commands 20 --latency 1 --json # machine-readable
    python -m bench.run --commands 50 --openai-ipm 10    # OpenAI allows 10 images a minute
    python -m bench.run --commands 50 --openai-ipm 10 --no-images-headers  # IPM only in 429s
    python -m bench.run --commands 30 --heavy-user 20 --openai-ipm 20  # one user sends 20 first

What it does, in order:

1. Starts :class:`tests.fakes.FakeSlack` (upload bytes not kept, so this process stays small)
   and :class:`tests.fakes.FakeOpenAI` (``--latency`` seconds per image, real PNGs of about
   ``--image-bytes``) in this process's event loop.
2. Starts ``python -m bot`` as a subprocess pointed at them, on a free port, with
   ``LOG_LEVEL=WARNING``, the ``MAX_*`` settings given here and a fresh SQLite database in a
   temporary directory (or ``--database-url``), and waits for ``/healthz``.
3. Fires ``--commands`` signed ``/imagine`` commands at once (one aiohttp session, no connection
   limit; with ``--heavy-user K`` one user's K commands first, then the others) and records
   each ack's latency (send to full response), HTTP status and whether the ack says the image
   is being generated (:mod:`bench.scenarios`).
4. Samples the app's ``VmRSS`` every 100 ms (``VmHWM`` at the end is the peak) and polls
   ``/healthz`` for jobs running and waiting, until every image is delivered to the fake Slack,
   every command ended in a failure message, the app died, or ``--timeout`` passed.
5. Reads ``loop_lag_max_ms`` from ``/healthz``, sends SIGTERM, expects exit code 0, and prints
   the report with PASS/FAIL per target (exit status 0 only when every target passed;
   :mod:`bench.report`).

Targets (issue #4, on a 2-core machine, 5 s backend): every command acked under 3 s, ack p99
under 500 ms, every image delivered, peak RSS under 300 MB, event loop lag under 100 ms.
Issue #10: with ``--openai-ipm N`` (the fake OpenAI enforces N images per minute) no failure
message, at most 5 provider 429s and done within 1.15x the floor ((images - N) / N minutes plus
one image's latency); with ``--heavy-user K`` every other user's image within the first minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from bench import input_images
from bench.client import BurstClient
from bench.probes import LoopLag, Sampler, read_cpu_s, read_health, read_status_kb
from bench.report import ACK_DEADLINE_S, Ack, Report, percentile
from bench.scenarios import (
    HEAVY_USER,
    SHUTDOWN_GRACE_S,
    Deliveries,
    app_environment,
    burst_bodies,
    floor_s,
    signed,
)
from tests.conftest import BOT_TOKEN, OPENAI_KEY
from tests.fakes import FakeOpenAI, FakeSlack
from tests.harness import BotProcess

ROOT = Path(__file__).resolve().parents[1]

DELIVERY_POLL_INTERVAL_S = 0.02
STARTUP_TIMEOUT_S = 30.0
DEFAULT_TIMEOUT_S = 180.0
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
        default=DEFAULT_TIMEOUT_S,
        help="seconds to wait for every image after the burst (default 180, or twice the "
        "floor with --openai-ipm)",
    )
    parser.add_argument(
        "--openai-ipm",
        type=int,
        default=None,
        help="the fake OpenAI enforces N images per minute (real-shaped x-ratelimit-* headers "
        "and 429 rate_limit_exceeded; failed requests count): issue #10's pacing targets",
    )
    parser.add_argument(
        "--no-images-headers",
        action="store_true",
        help="with --openai-ipm: the answers' x-ratelimit-* headers name only the requests and "
        "tokens limits, as platform.md describes OpenAI's; the images limit shows only in 429s",
    )
    parser.add_argument(
        "--heavy-user",
        type=int,
        default=0,
        metavar="K",
        help="one user sends K of the commands first, then every other user one: every other "
        "user's image must arrive within the first minute",
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
    if args.openai_ipm is not None and args.openai_ipm < 1:
        parser.error("--openai-ipm must be at least 1")
    if not 0 <= args.heavy_user < args.commands:
        parser.error("--heavy-user must be at least 0 and less than --commands")
    if args.max_queued_jobs is None:
        args.max_queued_jobs = args.commands
    if args.openai_ipm and args.timeout == DEFAULT_TIMEOUT_S:
        images = args.commands * args.n_per_command
        args.timeout = max(DEFAULT_TIMEOUT_S, 2 * floor_s(images, args.openai_ipm, args.latency))
    return args


# --- the benchmark --------------------------------------------------------------------------


async def _await_delivery(
    slack: FakeSlack, app: BotProcess, report: Report, seen: Deliveries, timeout_s: float
) -> None:
    """Poll the fake Slack until every image is delivered, every accepted command ended in a
    delivery or a failure message, the app died, or ``timeout_s`` passed."""
    deadline = time.monotonic() + timeout_s
    while True:
        seen.update(slack)
        _summarise_deliveries(report, seen)
        if report.images_delivered >= report.images_expected:
            report.delivery_s = time.monotonic() - seen.started
            return
        ended = seen.messages_with_files + seen.failures
        if ended >= report.acks_accepted or app.process.returncode is not None:
            return
        if time.monotonic() >= deadline:
            report.timed_out = True
            return
        await asyncio.sleep(DELIVERY_POLL_INTERVAL_S)


def _summarise_deliveries(report: Report, seen: Deliveries) -> None:
    report.images_delivered = len(seen.sizes)
    report.error_notices = seen.failures
    report.waiting_notices = seen.waiting
    if seen.sizes:
        report.delivered_bytes_min, report.delivered_bytes_max = min(seen.sizes), max(seen.sizes)
    others = {user: s for user, s in seen.first_image_s.items() if user != HEAVY_USER}
    report.others_delivered = len(others)
    report.others_delivered_max_s = max(others.values(), default=None)


async def _measure(
    slack: FakeSlack,
    openai: FakeOpenAI,
    app: BotProcess,
    client: BurstClient,
    args: argparse.Namespace,
    report: Report,
) -> None:
    """Fire the burst at the running app and fill ``report`` (all but the exit code)."""
    waves = burst_bodies(slack, args)
    async with aiohttp.ClientSession() as probe:
        sampler = Sampler(app, probe, report)
        try:
            acks: list[Ack] = []
            seen: Deliveries | None = None
            for wave in waves:  # the heavy user's commands first, then everyone else's
                cpu_before = read_cpu_s(app.process.pid)
                first_sent, wave_acks = await client.fire(f"{app.url}/slack/events", signed(wave))
                cpu_after = read_cpu_s(app.process.pid)
                if cpu_before is not None and cpu_after is not None:
                    report.burst_cpu_s = (report.burst_cpu_s or 0.0) + cpu_after - cpu_before
                seen = seen or Deliveries(started=first_sent)
                acks += wave_acks
            assert seen is not None
            _summarise_acks(report, acks)
            await _await_delivery(slack, app, report, seen, args.timeout)
            if openai.limits is not None:
                report.provider_429s = openai.limits.refused
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
        openai_ipm=args.openai_ipm,
        heavy_user=args.heavy_user,
        others_expected=args.commands - args.heavy_user,
        images_expected=args.commands * args.n_per_command,
    )
    if args.openai_ipm:
        report.floor_s = floor_s(report.images_expected, args.openai_ipm, args.latency)
    low, high = REALISTIC_IMAGE_BYTES
    if not low <= args.image_bytes <= high:
        report.notes.append(f"--image-bytes {args.image_bytes} is outside the realistic 1.5-3 MB")
    bench_lag = LoopLag()
    lag_task = asyncio.create_task(bench_lag.run())
    slack = FakeSlack(bot_token=BOT_TOKEN, keep_upload_bytes=False)
    openai = FakeOpenAI(
        api_key=OPENAI_KEY,
        latency_s=args.latency,
        image_bytes=args.image_bytes,
        images_per_minute=args.openai_ipm,
        images_headers=not args.no_images_headers,
    )
    try:
        with BurstClient() as client:
            async with slack, openai, _database_url(args.database_url) as database_url:
                environment = app_environment(slack, openai, args, database_url)
                app = await BotProcess.start(
                    environment, keep_lines=200, timeout_s=STARTUP_TIMEOUT_S
                )
                try:
                    await _measure(slack, openai, app, client, args, report)
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
