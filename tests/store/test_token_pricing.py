"""gpt-image-2 priced by tokens: estimated from the answer's usage, reserved from the image
output tokens of its quality and size (platform.md, "Prices"), overridable with PRICES_JSON."""

from __future__ import annotations

import pytest

from bot.store import PriceTable
from bot.store.pricing import IMAGE_OUTPUT_TOKENS, INPUT_KEY, OUTPUT_KEY

OUT_PER_TOKEN = 30.0 / 1_000_000  # the built-in (unconfirmed) gpt-image-2 image output price
IN_PER_TOKEN = 5.0 / 1_000_000


def test_reservations_use_the_output_tokens_of_quality_and_size() -> None:
    prices = PriceTable.default()
    assert IMAGE_OUTPUT_TOKENS == {"low": 272, "medium": 1056, "high": 4160}
    for quality, tokens in IMAGE_OUTPUT_TOKENS.items():
        assert prices.per_image_usd("gpt-image-2", quality, "1024x1024") == pytest.approx(
            tokens * OUT_PER_TOKEN
        )
    high_square = 4160 * OUT_PER_TOKEN
    assert prices.per_image_usd("gpt-image-2", "auto", "1024x1024") == pytest.approx(high_square)
    assert prices.per_image_usd("gpt-image-2", "high", "auto") == pytest.approx(high_square * 1.5)
    assert prices.estimate_micro("gpt-image-2", "medium", "1536x1024", 2) == round(
        2 * 1056 * 1.5 * OUT_PER_TOKEN * 1_000_000
    )
    snapshot = prices.per_image_usd("gpt-image-2-2026-04-21", "low", "1024x1024")
    assert snapshot == prices.per_image_usd("gpt-image-2", "low", "1024x1024")


def test_a_made_generation_is_priced_from_its_usage() -> None:
    prices = PriceTable.default()
    cost = prices.generation_micro(
        "gpt-image-2", "high", "1024x1024", 1, input_tokens=20, output_tokens=4160
    )
    assert cost == round((20 * IN_PER_TOKEN + 4160 * OUT_PER_TOKEN) * 1_000_000)
    # Without usage (a server that does not report it) the estimate stands.
    assert prices.generation_micro("gpt-image-2", "low", "1024x1024", 3) == prices.estimate_micro(
        "gpt-image-2", "low", "1024x1024", 3
    )
    assert prices.generation_micro("gpt-image-2", "low", "1024x1024", 0, output_tokens=9) == 0
    # Per-image models ignore usage.
    assert prices.generation_micro(
        "gpt-image-1-mini", "low", "1024x1024", 2, output_tokens=10**6
    ) == prices.estimate_micro("gpt-image-1-mini", "low", "1024x1024", 2)
    assert prices.priced_by_tokens("gpt-image-2") and not prices.priced_by_tokens("dall-e-3")


def test_prices_json_overrides_per_image_or_per_token() -> None:
    per_image = PriceTable.from_json('{"gpt-image-2": {"high": 0.2}}')
    assert per_image.per_image_usd("gpt-image-2", "high", "1024x1024") == 0.2
    assert (
        per_image.generation_micro("gpt-image-2", "high", "1024x1024", 2, output_tokens=8320)
        == 400_000
    )  # the admin's per-image figure wins over usage
    per_token = PriceTable.from_json(f'{{"gpt-image-2": {{"{OUTPUT_KEY}": 40}}}}')
    assert per_token.per_image_usd("gpt-image-2", "low", "1024x1024") == pytest.approx(
        272 * 40 / 1_000_000
    )
    assert per_token.token_prices["gpt-image-2"][INPUT_KEY] == 5.0  # kept
    house = PriceTable.from_json(f'{{"house": {{"{INPUT_KEY}": 1, "{OUTPUT_KEY}": 2}}}}')
    assert house.generation_micro("house", "low", "1024x1024", 1, input_tokens=10**6,
                                  output_tokens=10**6) == 3_000_000  # fmt: skip


async def test_the_store_charges_gpt_image_2_from_usage(sqlite_url: str) -> None:
    from tests.store.support import make_generation, make_job, open_store, reserve

    store = await open_store(sqlite_url, model="gpt-image-2", api="responses")
    try:
        job = make_job(n=2, quality="high", size="1024x1024")
        await reserve(store, job)
        queued = await store.history.record(job.id)
        assert queued is not None
        assert queued.cost_usd == pytest.approx(2 * 4160 * OUT_PER_TOKEN, abs=1e-6)
        await store.history.started(job)
        # One image came back (the other failed): usage of that one call only.
        await store.history.record_generation(job, make_generation(job, 1, tokens=(50, 4160)))
        await store.history.finished(job, outcome="partial", error=None)
        record = await store.history.record(job.id)
        assert record is not None and record.images == 1
        assert record.cost_usd == pytest.approx(50 * IN_PER_TOKEN + 4160 * OUT_PER_TOKEN, abs=1e-6)
        usage = await store.reports.usage("T1", "U1")
        assert usage.today.cost_usd == pytest.approx(record.cost_usd)
    finally:
        await store.close()
