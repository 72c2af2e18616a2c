"""The Cancel button on the ack, through the real app: only the owner may use it; a waiting
request leaves the line, a running one uploads nothing; reservations are given back and the
history says ``cancelled``."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from bot.cancel import CANCEL_ACTION_ID
from tests.conftest import responses_answer


def cancel_value(answer: Any) -> str:
    """The job id on the ack's Cancel button."""
    for block in answer.body.get("blocks") or []:
        for element in block.get("elements", []):
            if element.get("action_id") == CANCEL_ACTION_ID:
                return str(element["value"])
    raise AssertionError(f"no Cancel button in {answer.body}")


def held_openai(openai_mock: Any) -> tuple[asyncio.Event, list[str]]:
    """Make OpenAI hold every answer until the returned event is set; the list records each
    call as it arrives."""
    gate = asyncio.Event()
    calls: list[str] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        calls.append("call")
        await gate.wait()
        return responses_answer(request)

    openai_mock["responses"].mock(side_effect=slow)
    return gate, calls


async def test_owner_cancels_waiting_and_running_requests(start_imagine, openai_mock) -> None:
    gate, calls = held_openai(openai_mock)
    async with start_imagine(max_concurrent_jobs=1, user_daily_image_limit=10) as imagine:
        running = await imagine.command("a running fox", user="U1")
        waiting = await imagine.command("a waiting fox", user="U2")
        assert "Generating" in running.body["text"] and "in line" in waiting.body["text"]
        running_id, waiting_id = cancel_value(running), cancel_value(waiting)
        await imagine.slack.wait_for(lambda: calls)

        # Someone else's click is refused, and changes nothing.
        await imagine.click(CANCEL_ACTION_ID, waiting_id, user="U9")
        refused = await imagine.slack.wait_for(lambda: imagine.slack.responses)
        assert refused[-1]["text"] == "Only <@U2> can cancel this request."
        assert imagine.services.jobs.waiting == 1

        await imagine.click(CANCEL_ACTION_ID, waiting_id, user="U2")
        await imagine.slack.wait_for(lambda: len(imagine.slack.responses) == 2)
        assert "Cancelled" in imagine.slack.responses[-1]["text"]
        assert imagine.slack.responses[-1].get("replace_original") is True
        assert imagine.services.jobs.waiting == 0

        await imagine.click(CANCEL_ACTION_ID, running_id, user="U1")
        await imagine.slack.wait_for(lambda: len(imagine.slack.responses) == 3)
        gate.set()
        await imagine.slack.wait_for(lambda: imagine.services.jobs.running == 0)
        store = imagine.services.store
        for job_id, user in ((running_id, "U1"), (waiting_id, "U2")):
            record = await store.history.record(job_id)
            assert record is not None and record.status == "cancelled", record
            assert (
                await store.reports.usage("T1", user)
            ).today.images == 0  # reservation given back
        await asyncio.sleep(0.1)
        assert imagine.slack.calls_to("files.completeUploadExternal") == []
        assert len(calls) == 1  # the waiting one never reached OpenAI

        # A finished request's button says so.
        await imagine.click(CANCEL_ACTION_ID, running_id, user="U1")
        await imagine.slack.wait_for(lambda: len(imagine.slack.responses) == 4)
        assert "already finished" in imagine.slack.responses[-1]["text"]


async def test_a_second_click_on_cancel_changes_nothing(start_imagine, openai_mock) -> None:
    """Two clicks on a running request's Cancel (an impatient owner): the second must not cut
    short the first one's clean-up, so the history still says cancelled and the reservation
    is given back."""
    gate, calls = held_openai(openai_mock)
    async with start_imagine(user_daily_image_limit=10) as imagine:
        running = await imagine.command("a running fox", user="U1")
        job_id = cancel_value(running)
        await imagine.slack.wait_for(lambda: calls)
        first = imagine.click(CANCEL_ACTION_ID, job_id, user="U1")
        second = imagine.click(CANCEL_ACTION_ID, job_id, user="U1")
        await asyncio.gather(first, second)
        await imagine.slack.wait_for(lambda: imagine.services.jobs.running == 0)
        gate.set()
        store = imagine.services.store
        record = await store.history.record(job_id)
        assert record is not None and record.status == "cancelled", record
        assert (await store.reports.usage("T1", "U1")).today.images == 0


def test_cancel_blocks_are_what_slack_sdk_models_make() -> None:
    """The blocks filled in from the validated template equal slack_sdk's own, each call's are
    its own (filling one leaves the next alone), and a text over Block Kit's limit is refused
    by the models, as it would be without the template."""
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import ActionsBlock, ButtonElement, SectionBlock

    from bot import messages
    from bot.cancel import cancel_blocks

    first = cancel_blocks("You are number *4* in line.", "a1b2c3d4e5f6")
    first[0]["text"]["text"] = "changed by a caller"
    first[1]["elements"][0]["text"]["text"] = "changed by a caller"
    second = cancel_blocks("Generating 2 images…", "0123456789ab")
    expected = [
        SectionBlock(text="Generating 2 images…").to_dict(),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=messages.CANCEL_LABEL,
                    action_id=CANCEL_ACTION_ID,
                    value="0123456789ab",
                    style="danger",
                )
            ]
        ).to_dict(),
    ]
    assert second == expected
    with pytest.raises(SlackObjectFormationError):
        cancel_blocks("x" * 3001, "0123456789ab")


async def test_a_cancel_while_the_job_is_starting_is_recorded(
    start_imagine, openai_mock, monkeypatch
) -> None:
    """The job is cancelled while it looks up its workspace's Slack client (OAuth mode can take
    a database read): it ends 'cancelled', gives its reservation back and leaves the journal."""
    entered = asyncio.Event()
    release = asyncio.Event()

    async with start_imagine(user_daily_image_limit=10) as imagine:
        clients = imagine.services.clients
        real_for_team = clients.for_team

        async def slow_for_team(team_id: str, enterprise_id: str | None = None) -> Any:
            entered.set()
            await release.wait()
            return await real_for_team(team_id, enterprise_id)

        monkeypatch.setattr(clients, "for_team", slow_for_team)
        running = await imagine.command("a fox", user="U1")
        job_id = cancel_value(running)
        await asyncio.wait_for(entered.wait(), 5)
        await imagine.click(CANCEL_ACTION_ID, job_id, user="U1")
        await imagine.slack.wait_for(lambda: imagine.services.jobs.running == 0)
        store = imagine.services.store
        record = await store.history.record(job_id)
        assert record is not None and record.status == "cancelled", record
        assert (await store.reports.usage("T1", "U1")).today.images == 0
        assert await store.journal.state_of(job_id) is None
        assert openai_mock["responses"].call_count == 0
