"""Smoke test of the benchmark (``python -m bench.run``): a tiny burst against ``python -m bot``
and the local fakes; every command is acked, every image delivered, and the app exits cleanly.
The benchmark's targets are not asserted here (they are for the full run on a known machine)."""

from __future__ import annotations

from bench.run import parse_args, run


async def test_bench_acks_and_delivers_every_command() -> None:
    args = parse_args(
        ["--commands", "5", "--latency", "0.2", "--image-bytes", "200000", "--timeout", "30"]
    )
    report = await run(args)
    assert report.acks_200 == 5 and report.acks_accepted == 5, report.render()
    assert report.acked_under_3s == 5, report.render()
    assert report.images_expected == 5 and report.images_delivered == 5, report.render()
    assert report.error_notices == 0, report.render()
    assert report.delivered_bytes_min >= 190_000  # the fake's PNGs, not placeholders
    assert report.delivery_s is not None and report.peak_rss_mb > 0
    assert report.loop_lag_max_ms is not None
    assert report.burst_cpu_s is not None and report.burst_cpu_s >= 0  # /proc ticks: 10 ms
    assert "app CPU" in report.render()
    assert report.exit_code == 0, report.render()


async def test_bench_with_a_provider_limit_and_a_heavy_user() -> None:
    args = parse_args(
        ["--commands", "6", "--heavy-user", "3", "--openai-ipm", "60", "--latency", "0.2",
         "--image-bytes", "100000"]
    )  # fmt: skip
    report = await run(args)
    assert report.images_delivered == 6 and report.error_notices == 0, report.render()
    assert report.provider_429s == 0 and report.floor_s == 0.2, report.render()
    assert report.others_expected == 3 and report.others_delivered == 3, report.render()
    assert report.others_delivered_max_s is not None
    names = [target.name for target in report.targets()]
    assert any("provider 429s" in name for name in names)
    assert any("other users' images" in name for name in names)
