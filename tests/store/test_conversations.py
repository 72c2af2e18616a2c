"""Conversation turns in the database: by thread, located later, across restarts, expired."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import text

from bot.store import ConversationStore, Turn, TurnImage
from bot.store.quota import utc_now
from tests.store.support import open_store


def turn(job_id: str, *, thread_ts: str | None, created_ago_s: float = 0, **extra: object) -> Turn:
    values: dict[str, object] = {
        "job_id": job_id,
        "team_id": "T1",
        "channel_id": "C1",
        "thread_ts": thread_ts,
        "message_ts": None,
        "parent_id": None,
        "user_id": "U1",
        "source": "command",
        "model": "gpt-image-2",
        "user_prompt": "a kite",
        "prompt": "a kite",
        "request": {"n": 2},
        "images": [TurnImage("F1", "resp_1", "a red kite"), TurnImage("F2", None, "a blue kite")],
        "created_at": utc_now() - timedelta(seconds=created_ago_s),
    }
    values.update(extra)
    return Turn(**values)  # type: ignore[arg-type]


async def test_turns_by_thread_latest_first_and_located_later(db_url: str) -> None:
    store = await open_store(db_url)
    conversations = ConversationStore(store.engine)
    try:
        await conversations.record(turn("job1", thread_ts=None, created_ago_s=5))
        assert await conversations.latest("T1", "C1", "1700000000.000100") is None
        [pending] = await conversations.pending("T1", "C1", within=timedelta(minutes=5))
        assert pending.job_id == "job1" and pending.images[0].file_id == "F1"

        await conversations.located("job1", "1700000000.000100")
        first = await conversations.latest("T1", "C1", "1700000000.000100")
        assert first is not None and first.message_ts == "1700000000.000100"
        assert first.image(1) == TurnImage("F1", "resp_1", "a red kite")
        assert first.image(2) is not None and first.image(2).response_id is None
        assert first.image(3) is None and first.image(0) is None
        assert await conversations.pending("T1", "C1", within=timedelta(minutes=5)) == []

        edit = turn("job2", thread_ts="1700000000.000100", parent_id="job1", source="edit")
        await conversations.record(edit)
        await conversations.record(edit)  # recorded once
        latest = await conversations.latest("T1", "C1", "1700000000.000100")
        assert latest is not None and (latest.job_id, latest.parent_id) == ("job2", "job1")
        assert await conversations.latest("T1", "C2", "1700000000.000100") is None
        assert await conversations.latest("T2", "C1", "1700000000.000100") is None
    finally:
        await store.close()

    again = await open_store(db_url)  # another process on the same database
    try:
        found = await ConversationStore(again.engine).get("job2")
        assert found is not None and found.source == "edit"
    finally:
        await again.close()


async def test_old_turns_expire(db_url: str) -> None:
    store = await open_store(db_url)
    conversations = ConversationStore(store.engine, retention_days=30)
    try:
        await conversations.record(turn("old", thread_ts="1.1", created_ago_s=31 * 86400))
        await conversations.record(turn("new", thread_ts="1.1", created_ago_s=29 * 86400))
        latest = await conversations.latest("T1", "C1", "1.1")
        assert latest is not None and latest.job_id == "new"
        assert await conversations.get("old") is None  # expired turns are never served
        assert await conversations.expire() == 1
        assert await conversations.expire() == 0
        assert await conversations.get("new") is not None
    finally:
        await conversations.close()
        await store.close()


async def test_the_periodic_clean_up_expires_old_turns(db_url: str) -> None:
    store = await open_store(db_url)
    conversations = ConversationStore(store.engine, retention_days=1)
    try:
        await conversations.record(turn("old", thread_ts="1.1", created_ago_s=2 * 86400))
        await conversations.record(turn("new", thread_ts="1.1"))
        conversations.start_cleanup(interval_s=0.05)
        for _ in range(100):
            if await conversations.expire() == 0 and await conversations.get("new"):
                break
            await asyncio.sleep(0.05)
        async with store.engine.connect() as conn:
            ids = (await conn.execute(text("SELECT job_id FROM conversation_turns"))).scalars()
            assert set(ids) == {"new"}
    finally:
        await conversations.close()
        await store.close()
