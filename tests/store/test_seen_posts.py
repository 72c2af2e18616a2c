"""Posts already acted on (:mod:`bot.store.seen_posts`): the first of several instances to
claim a post acts on it; keys are forgotten after an hour."""

from __future__ import annotations

from datetime import timedelta

from bot.store.quota import utc_now
from bot.store.seen_posts import KEEP
from tests.store.support import open_store


async def test_only_the_first_instance_claims_a_post(db_url: str) -> None:
    one, other = await open_store(db_url), await open_store(db_url)
    try:
        assert await one.seen_posts.claim("T1:C1:1700000000.000100") is True
        assert await other.seen_posts.claim("T1:C1:1700000000.000100") is False
        assert await one.seen_posts.claim("T1:C1:1700000000.000100") is False
        assert await other.seen_posts.claim("T2:C1:1700000000.000100") is True  # another team
    finally:
        await one.close()
        await other.close()


async def test_a_key_is_forgotten_after_an_hour(db_url: str) -> None:
    store = await open_store(db_url)
    try:
        earlier = utc_now() - KEEP - timedelta(minutes=1)
        assert await store.seen_posts.claim("T1:C1:1.000001", now=earlier) is True
        store.seen_posts._purged_at = 0.0  # purge on the next claim
        assert await store.seen_posts.claim("T1:C1:1.000002") is True
        assert await store.seen_posts.claim("T1:C1:1.000001") is True  # forgotten, new again
    finally:
        await store.close()
