"""Every result starts a conversation: turns recorded with their files, top-level results
located in the background, replies that arrive early still find their result."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from tests.harness import Imagine


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            assert result, "condition not met in time"
            return result
        await asyncio.sleep(0.05)


async def delivered(imagine: Imagine, count: int = 1) -> list[Any]:
    await imagine.slack.wait_for(
        lambda: len([m for m in imagine.slack.messages if m.files]) >= count
    )
    return [m for m in imagine.slack.messages if m.files]


async def test_a_top_level_result_is_located_in_the_background(start_imagine) -> None:
    async with start_imagine() as imagine:
        await imagine.command("--n 2 a kite")
        [message] = await delivered(imagine)
        store = imagine.services.threads.store
        turn = await eventually(lambda: store.latest("T1", "C1", message.ts))
        assert [image.file_id for image in turn.images] == [f["id"] for f in message.files]
        assert (turn.message_ts, turn.thread_ts, turn.source) == (message.ts, message.ts, "command")
        assert [image.revised_prompt for image in turn.images] == [
            "A detailed rendering of a kite"
        ] * 2
        lookups = imagine.slack.calls_to("files.info")
        assert 1 <= len(lookups) <= 3 and lookups[0].params["file"] == message.files[0]["id"]


async def test_a_thread_result_is_found_by_its_thread_and_its_ts_recorded_after(
    start_imagine,
) -> None:
    """A result posted in a thread is found by that thread at once; its own message ts is
    recorded in the background (conversation state keeps every result's message ts)."""
    async with start_imagine() as imagine:
        await imagine.event(
            {
                "type": "app_mention",
                "user": "U1",
                "text": "<@UBOT> a kite",
                "ts": "1700000000.000500",
                "thread_ts": "1700000000.000400",
                "channel": "C1",
                "event_ts": "1700000000.000500",
                "team": "T1",
            }
        )
        [message] = await delivered(imagine)
        store = imagine.services.threads.store
        turn = await eventually(lambda: store.latest("T1", "C1", "1700000000.000400"))
        assert turn.images[0].file_id == message.files[0]["id"] and turn.source == "mention"

        async def recorded():  # type: ignore[no-untyped-def]
            again = await store.get(turn.job_id)
            return again if again is not None and again.message_ts else None

        located = await eventually(recorded)
        assert (located.message_ts, located.thread_ts) == (message.ts, "1700000000.000400")
        assert 1 <= len(imagine.slack.calls_to("files.info")) <= 3


async def test_an_early_reply_finds_its_result_through_files_info(start_imagine) -> None:
    async with start_imagine() as imagine:
        imagine.slack.share_delay_s = 1.0
        threads = imagine.services.threads
        threads.tracker.track = lambda *args: None  # as after a restart: nobody looks for it
        await imagine.command("a kite")
        [message] = await delivered(imagine)
        await eventually(lambda: threads.store.pending("T1", "C1", within=_hour()))
        started = time.monotonic()
        turn = await threads.in_thread(imagine.services.slack, "T1", "C1", message.ts)
        assert turn is not None and turn.message_ts == message.ts
        assert time.monotonic() - started < 4
        assert imagine.slack.calls_to("files.info")
        other = await threads.in_thread(imagine.services.slack, "T1", "C1", "1700000999.000100")
        assert other is None


def _hour() -> timedelta:
    return timedelta(hours=1)
