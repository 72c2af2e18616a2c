"""Faults: Slack 429 and 5xx, upload failures after generation, a hung OpenAI, queue limits."""

from __future__ import annotations

import asyncio
import json

import httpx

from tests.conftest import responses_answer


async def delivered(imagine) -> list:
    return [m for m in imagine.slack.messages if m.files]


async def test_slack_429_on_upload_is_retried_after_retry_after(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        imagine.slack.fail_next("files.completeUploadExternal", status=429, retry_after=1)
        await imagine.command("a fox")
        await imagine.slack.wait_for(
            lambda: any(m.files for m in imagine.slack.messages), timeout=15
        )
        assert len(imagine.slack.calls_to("files.completeUploadExternal")) == 2
        assert openai_mock["responses"].call_count == 1  # not generated twice


async def test_slack_5xx_is_retried(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        imagine.slack.fail_next("files.getUploadURLExternal", status=503)
        await imagine.command("a fox")
        await imagine.slack.wait_for(
            lambda: any(m.files for m in imagine.slack.messages), timeout=15
        )
        assert openai_mock["responses"].call_count == 1


async def test_upload_failure_after_generation_tells_the_user(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        imagine.slack.fail_next("files.completeUploadExternal", error="file_upload_failed")
        await imagine.command("a fox")
        await imagine.slack.wait_for(lambda: imagine.slack.responses, timeout=15)
        text = imagine.slack.responses[0]["text"]
        assert (
            "generated, but Slack did not accept the upload" in text
            and "file_upload_failed" in text
        )
        assert openai_mock["responses"].call_count == 1
        assert not await delivered(imagine)


async def test_hung_openai_cannot_hold_a_job_past_its_deadline(start_imagine, openai_mock) -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return responses_answer(request)

    openai_mock["responses"].mock(side_effect=hang)
    async with start_imagine(job_timeout_s=0.5) as imagine:
        await imagine.command("a fox")
        await imagine.slack.wait_for(lambda: imagine.slack.responses, timeout=10)
        assert "took longer than 0.5 seconds" in imagine.slack.responses[0]["text"]
        await imagine.slack.wait_for(lambda: imagine.services.jobs.running == 0)


async def test_waiting_jobs_are_told_their_place_and_a_full_queue_refuses(
    start_imagine, openai_mock
) -> None:
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return responses_answer(request)

    openai_mock["responses"].mock(side_effect=slow)
    async with start_imagine(max_concurrent_jobs=1, max_queued_jobs=2) as imagine:
        first = await imagine.command("one")
        second = await imagine.command("two")
        third = await imagine.command("three")
        fourth = await imagine.command("four")
        assert first.body["text"].endswith("Generating 1 image…")
        assert "You're number 1 in line" in second.body["text"]
        assert "You're number 2 in line" in third.body["text"]
        assert "at capacity" in fourth.body["text"]
        release.set()
        await imagine.slack.wait_for(
            lambda: len([m for m in imagine.slack.messages if m.files]) == 3, timeout=15
        )
        prompts = [json.loads(c.request.content)["input"] for c in openai_mock["responses"].calls]
        assert prompts == ["one", "two", "three"]  # in order; the refused one never ran
