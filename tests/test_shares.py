"""Learning where a result lives: files.info polled with backoff, and the one paced tracker."""

from __future__ import annotations

import asyncio
import time

from slack_sdk.web.async_client import AsyncWebClient

from bot.shares import ShareTracker, share_ts
from tests.fakes import FakeSlack, make_png

TOKEN = "xoxb-test"


async def upload(web: AsyncWebClient, channel: str = "C1", thread_ts: str | None = None) -> str:
    done = await web.files_upload_v2(
        content=make_png(8, 8), filename="r.png", channel=channel, thread_ts=thread_ts
    )
    return str(done["files"][0]["id"])


async def test_share_ts_waits_for_the_share_with_backoff() -> None:
    async with FakeSlack(TOKEN, share_delay_s=0.6) as slack:
        web = AsyncWebClient(base_url=slack.base_url, token=TOKEN)
        file_id = await upload(web)
        started = time.monotonic()
        assert await share_ts(web, file_id, "C1", timeout_s=5) == slack.result_ts(file_id)
        assert 0.5 < time.monotonic() - started < 2.5
        calls = len(slack.calls_to("files.info"))
        assert 2 <= calls <= 4  # 0, 0.25, 0.75, 1.75 s: backoff, not a busy loop
        assert await share_ts(web, file_id, "C2", timeout_s=0.3) is None  # not shared there


async def test_share_ts_gives_up_on_final_errors_and_never_raises() -> None:
    async with FakeSlack(TOKEN) as slack:
        web = AsyncWebClient(base_url=slack.base_url, token=TOKEN)
        started = time.monotonic()
        assert await share_ts(web, "FNOPE", "C1", timeout_s=5) is None
        assert time.monotonic() - started < 1 and len(slack.calls_to("files.info")) == 1
        slack.fail_next("files.info", error="missing_scope")
        file_id = await upload(web)
        assert await share_ts(web, file_id, "C1", timeout_s=5) is None


async def test_tracker_finds_every_result_paced_and_bounded() -> None:
    found: dict[str, str] = {}

    async def on_found(key: str, ts: str) -> None:
        found[key] = ts

    async with FakeSlack(TOKEN, share_delay_s=0.3) as slack:
        web = AsyncWebClient(base_url=slack.base_url, token=TOKEN)
        tracker = ShareTracker(on_found, calls_per_s=40, max_concurrency=2, timeout_s=5)
        files = {f"job{i}": await upload(web, thread_ts=None) for i in range(6)}
        started = time.monotonic()
        for key, file_id in files.items():
            tracker.track(key, web, file_id, "C1")
        assert await tracker.wait("job5", timeout_s=5) == slack.result_ts(files["job5"])
        await slack.wait_for(lambda: len(found) == 6, timeout=5)
        assert found == {key: slack.result_ts(file_id) for key, file_id in files.items()}
        assert tracker.pending == 0
        calls = slack.calls_to("files.info")
        assert len(calls) <= 3 * len(files)  # a few lookups each, not a storm
        assert time.monotonic() - started >= len(calls) / 40 - 0.1  # paced
        assert await tracker.wait("unknown", timeout_s=0.1) is None
        await tracker.aclose()


async def test_tracker_gives_up_after_its_timeout() -> None:
    async def on_found(key: str, ts: str) -> None:
        raise AssertionError("never found")

    async with FakeSlack(TOKEN, share_delay_s=60) as slack:
        web = AsyncWebClient(base_url=slack.base_url, token=TOKEN)
        tracker = ShareTracker(on_found, timeout_s=0.8, calls_per_s=50)
        tracker.track("job", web, await upload(web), "C1")
        assert await tracker.wait("job", timeout_s=3) is None
        assert tracker.pending == 0 and len(slack.calls_to("files.info")) <= 4
        await asyncio.sleep(0.3)
        assert len(slack.calls_to("files.info")) <= 4  # stopped asking
        await tracker.aclose()


async def test_a_result_someone_waits_for_goes_ahead_of_the_backlog() -> None:
    """60 results being looked for at 2 calls a second, and a reply to the newest: it is found
    within a couple of seconds, not after the 30 s the backlog takes."""

    async def on_found(key: str, ts: str) -> None:
        return None

    async with FakeSlack(TOKEN) as slack:
        web = AsyncWebClient(base_url=slack.base_url, token=TOKEN)
        tracker = ShareTracker(on_found, calls_per_s=2, max_concurrency=2, timeout_s=60)
        files = {f"job{i}": await upload(web) for i in range(60)}
        for key, file_id in files.items():
            tracker.track(key, web, file_id, "C1")
        await asyncio.sleep(1.0)  # the backlog is under way
        started = time.monotonic()
        tracker.expedite("job59")
        assert await tracker.wait("job59", timeout_s=5) == slack.result_ts(files["job59"])
        assert time.monotonic() - started < 2.0
        assert tracker.pending > 40  # the others are still being worked through
        await tracker.aclose()
