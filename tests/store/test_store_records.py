"""A record per request, with usage and cost, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import DeliveryError, ModerationBlockedError
from bot.regenerate import Continuation, RegenerateEntry
from bot.store import Store
from tests.store.support import make_generation, make_job, open_store, reserve


async def test_a_request_is_recorded_from_queued_to_finished_with_usage_and_cost(
    store: Store,
) -> None:
    job = make_job(n=2, quality="medium", source="mention", thread_ts="1700000000.000100")
    before = datetime.now(UTC)

    await reserve(store, job)
    queued = await store.history.record(job.id)
    assert queued is not None
    assert queued.status == "queued" and queued.started_at is None
    assert queued.images == 2 and queued.cost_usd == pytest.approx(0.022)  # reserved: 2 x $0.011

    await store.history.started(job)
    await store.history.record_generation(job, make_generation(job, 2, tokens=(40, 4000)))
    await store.history.finished(job, outcome="ok", error=None)

    record = await store.history.record(job.id)
    assert record is not None
    assert (record.team_id, record.channel_id, record.user_id) == ("T1", "C1", "U1")
    assert record.thread_ts == "1700000000.000100"
    assert record.source == "mention"
    assert record.user_prompt == record.prompt == "a red fox in snow"
    assert record.revised_prompts == [
        "a red fox in snow, variation 1",
        "a red fox in snow, variation 2",
    ]
    assert record.options == {
        "n": 2,
        "size": "1024x1024",
        "quality": "medium",
        "background": None,
        "preset": "general",
    }
    assert (record.model, record.api) == ("gpt-image-1-mini", "images")
    assert (record.status, record.error_code) == ("ok", None)
    assert (record.input_tokens, record.output_tokens, record.total_tokens) == (40, 4000, 4040)
    assert record.generated == record.images == 2
    assert record.cost_usd == pytest.approx(0.022)
    assert record.started_at is not None and record.finished_at is not None
    assert before <= record.queued_at <= record.started_at <= record.finished_at
    assert record.queued_at.tzinfo is not None


async def test_cost_follows_size_and_quality(store: Store) -> None:
    job = make_job(n=1, quality="high", size="1536x1024")
    await reserve(store, job)
    record = await store.history.record(job.id)
    assert record is not None
    assert record.cost_usd == pytest.approx(0.036 * 1.5)


async def test_partial_generation_is_charged_for_the_images_made(store: Store) -> None:
    job = make_job(n=3)
    await reserve(store, job)
    await store.history.started(job)
    await store.history.record_generation(job, make_generation(job, 1))
    await store.history.finished(job, outcome="partial", error=None)

    record = await store.history.record(job.id)
    assert record is not None
    assert (record.status, record.n, record.generated, record.images) == ("partial", 3, 1, 1)
    assert record.cost_usd == pytest.approx(0.005)
    usage = await store.reports.usage("T1", "U1")
    assert (usage.today.images, usage.today.cost_usd) == (1, pytest.approx(0.005))


async def test_a_failed_job_keeps_its_error_code_and_gives_its_reservation_back(
    store: Store,
) -> None:
    job = make_job(n=2)
    await reserve(store, job)
    await store.history.started(job)
    error = ModerationBlockedError("refused", status=400, code="moderation_blocked")
    await store.history.finished(job, outcome=type(error).__name__, error=error)

    record = await store.history.record(job.id)
    assert record is not None
    assert (record.status, record.error_code) == ("ModerationBlockedError", "moderation_blocked")
    assert (record.images, record.cost_usd) == (0, 0)
    assert (await store.reports.usage("T1", "U1")).today.images == 0


async def test_a_delivery_failure_after_generation_is_still_charged(store: Store) -> None:
    job = make_job(n=1)
    await reserve(store, job)
    await store.history.started(job)
    await store.history.record_generation(job, make_generation(job, 1))
    error = DeliveryError("not_in_channel", channel_id="C1")
    await store.history.finished(job, outcome=type(error).__name__, error=error)

    record = await store.history.record(job.id)
    assert record is not None
    assert (record.status, record.error_code, record.images) == (
        "DeliveryError",
        "not_in_channel",
        1,
    )


async def test_release_after_a_refused_submit_gives_everything_back(store: Store) -> None:
    job = make_job(n=2)
    await reserve(store, job)
    await store.reservations.release(job)
    await store.reservations.release(job)  # idempotent

    record = await store.history.record(job.id)
    assert record is not None
    assert (record.status, record.images, record.cost_usd) == ("refused", 0, 0)
    assert (await store.reports.usage("T1", "U1")).today.images == 0
    assert await store.reports.recent("T1", "U1") == []


async def test_a_job_that_was_never_reserved_is_recorded_when_it_starts(store: Store) -> None:
    job = make_job(n=1)
    await store.history.started(job)
    record = await store.history.record(job.id)
    assert record is not None and record.status == "running" and record.images == 1


async def test_regenerate_keys_survive_a_restart(db_url: str) -> None:
    first = await open_store(db_url)
    job = make_job(n=2, thread_ts="1.5")
    entry = RegenerateEntry(request=job.request, team_id="T1", channel_id="C1", thread_ts="1.5")
    key = await first.regenerate.put(entry)
    edit = RegenerateEntry(
        request=job.request,
        team_id="T1",
        channel_id="C1",
        thread_ts="1.5",
        continues=Continuation(
            source="edit", parent_id="job1", parent_image=2, image_named=True, files=("F1",)
        ),
    )
    edit_key = await first.regenerate.put(edit)
    await first.close()

    second = await open_store(db_url)
    try:
        assert len(key) <= 22
        assert await second.regenerate.get(key) == entry
        assert await second.regenerate.get(edit_key) == edit
        assert await second.regenerate.get("nope") is None
        assert await second.regenerate.get("") is None
    finally:
        await second.close()
