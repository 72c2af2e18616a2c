"""Both quotas, their messages, admins, and concurrent requests within one process."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.store import QuotaExceededError, Store
from tests.store.support import make_generation, make_job

NOON = datetime(2026, 9, 14, 12, 0, tzinfo=UTC)
NEXT_MIDNIGHT = datetime(2026, 9, 15, tzinfo=UTC)
LAST_SECOND = datetime(2026, 9, 14, 23, 59, 59, tzinfo=UTC)
NEXT_MONTH = datetime(2026, 10, 1, tzinfo=UTC)


async def reserve(store: Store, job, *, limit=None, budget=None, admins=(), now=NOON) -> None:  # type: ignore[no-untyped-def]
    await store.reservations.check_and_reserve(
        job,
        user_daily_image_limit=limit,
        monthly_budget_usd=budget,
        admin_user_ids=frozenset(admins),
        now=now,
    )


async def test_daily_limit_refuses_with_limit_used_and_reset(store: Store) -> None:
    await reserve(store, make_job(n=2), limit=3)

    with pytest.raises(QuotaExceededError) as refused:
        await reserve(store, make_job(n=2), limit=3)

    exc = refused.value
    assert (exc.kind, exc.limit, exc.used, exc.requested) == ("user_daily", 3, 2, 2)
    assert exc.resets_at == NEXT_MIDNIGHT
    assert exc.text == (
        ":no_entry: You've used 2 of your 3 images for today, and this request asks for 2. "
        "Ask for 1 or fewer. Your daily limit resets "
        "<!date^1789430400^{date_short_pretty} at {time}|2026-09-15 00:00 UTC>."
    )
    # One more image still fits; then the day is full.
    await reserve(store, make_job(n=1), limit=3)
    with pytest.raises(QuotaExceededError) as full:
        await reserve(store, make_job(n=1), limit=3)
    assert full.value.used == 3
    assert full.value.text.startswith(":no_entry: You've used 3 of your 3 images for today. ")


async def test_a_refused_request_writes_nothing(store: Store) -> None:
    job = make_job(n=5)
    with pytest.raises(QuotaExceededError):
        await reserve(store, job, limit=4)
    assert await store.history.record(job.id) is None
    assert (await store.reports.usage("T1", "U1", now=NOON)).today.images == 0


async def test_daily_limit_is_per_user_and_resets_at_utc_midnight(store: Store) -> None:
    await reserve(store, make_job(user="U1"), limit=1)
    await reserve(store, make_job(user="U2"), limit=1)  # another user has their own day
    await reserve(store, make_job(user="U1", team="T2"), limit=1)  # and another workspace
    with pytest.raises(QuotaExceededError):
        await reserve(store, make_job(user="U1"), limit=1, now=LAST_SECOND)
    await reserve(store, make_job(user="U1"), limit=1, now=NEXT_MIDNIGHT)


async def test_images_given_back_free_the_slot(store: Store) -> None:
    job = make_job(n=2)
    await reserve(store, job, limit=2)
    await store.history.started(job)
    await store.history.record_generation(job, make_generation(job, 1))
    await store.history.finished(job, outcome="partial", error=None)
    await reserve(store, make_job(n=1), limit=2)  # the failed image's slot is free again


async def test_monthly_budget_refuses_with_limit_used_and_reset(store: Store) -> None:
    # gpt-image-1-mini low: $0.005 an image; the budget fits two images.
    await reserve(store, make_job(user="U1", n=1), budget=0.012)
    await reserve(store, make_job(user="U2", n=1), budget=0.012)

    with pytest.raises(QuotaExceededError) as refused:
        await reserve(store, make_job(user="U3", n=1), budget=0.012)

    exc = refused.value
    assert exc.kind == "monthly_budget"
    assert exc.limit == 0.012 and exc.used == pytest.approx(0.010)
    assert exc.requested == pytest.approx(0.005)
    assert exc.resets_at == NEXT_MONTH
    assert exc.text == (
        ":money_with_wings: This workspace has used an estimated $0.010 of its $0.012 monthly "
        "image budget, and this request would cost about $0.005. The budget resets "
        "<!date^1790812800^{date_short_pretty} at {time}|2026-10-01 00:00 UTC>; "
        "ask your Slack admin if you need more before then."
    )
    # A new month starts from zero.
    await reserve(store, make_job(user="U3", n=1), budget=0.012, now=NEXT_MONTH)


async def test_admins_are_exempt_from_the_daily_limit_but_not_the_budget(store: Store) -> None:
    admin = "UADMIN"
    for _ in range(3):
        await reserve(store, make_job(user=admin, n=1), limit=1, budget=0.015, admins=[admin])
    with pytest.raises(QuotaExceededError) as refused:
        await reserve(store, make_job(user=admin, n=1), limit=1, budget=0.015, admins=[admin])
    assert refused.value.kind == "monthly_budget"
    usage = await store.reports.usage("T1", admin, now=NOON)
    assert usage.today.images == 3  # admins' images are still counted


async def test_concurrent_requests_never_pass_a_limit_together(store: Store) -> None:
    """Ten requests at once, three slots: exactly three are accepted (one process; the
    two-process race is in test_store_race.py)."""
    jobs = [make_job(n=1) for _ in range(10)]
    results = await asyncio.gather(
        *(reserve(store, job, limit=3) for job in jobs), return_exceptions=True
    )
    assert sum(result is None for result in results) == 3
    assert all(isinstance(r, QuotaExceededError) for r in results if r is not None)
    assert (await store.reports.usage("T1", "U1", now=NOON)).today.images == 3


async def test_a_burst_is_decided_in_arrival_order(store: Store) -> None:
    jobs = [make_job(user="U1", n=1) for _ in range(6)] + [make_job(user="U2", n=2)]
    results = await asyncio.gather(
        *(reserve(store, job, limit=4, budget=1000.0) for job in jobs), return_exceptions=True
    )
    assert [r is None for r in results] == [True, True, True, True, False, False, True]
    refused = results[4]
    assert isinstance(refused, QuotaExceededError) and refused.used == 4
    assert (await store.reports.usage("T1", "U1", now=NOON)).today.images == 4
    assert (await store.reports.usage("T1", "U2", now=NOON)).today.images == 2
    assert [await store.history.record(job.id) is not None for job in jobs] == [
        r is None for r in results
    ]
