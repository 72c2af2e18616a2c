"""Smoke test of ``python -m bench.run --with-input-images``: mentions carrying a PNG are acked,
their images downloaded by the app (with the bot token) and every result delivered."""

from __future__ import annotations

from bench.run import parse_args, run


async def test_bench_with_input_images_delivers_every_mention() -> None:
    args = parse_args(
        ["--commands", "3", "--with-input-images", "--input-image-bytes", "100000",
         "--latency", "0.2", "--image-bytes", "100000", "--timeout", "30"]
    )  # fmt: skip
    report = await run(args)
    assert report.with_input_images and report.acks_accepted == 3, report.render()
    assert report.images_delivered == 3 and report.error_notices == 0, report.render()
    assert report.exit_code == 0, report.render()
