"""The "Generate images" Workflow Builder step: signed ``function_executed`` events through the
real app, ending with ``functions.completeSuccess`` / ``functions.completeError`` at the fake
Slack, which accepts only the execution token it issued."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
import yaml

from bot import messages
from bot.workflow.outputs import OUTPUT_TYPES
from tests.conftest import BOT_TOKEN, responses_answer, revised
from tests.harness import ROOT

MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())
FUNCTION = MANIFEST["functions"]["generate_images"]


def inputs(**values: Any) -> dict[str, Any]:
    return {"prompt": "a lighthouse at dawn", "channel_id": "C1", "user_id": "U7", **values}


async def run_step(imagine, step_inputs: dict[str, Any], **kwargs: Any):
    """Send the event and wait until the fake Slack saw the step end."""
    imagine.slack.workflow.declare(MANIFEST["functions"])
    execution, body, answer = await imagine.function_executed(step_inputs, **kwargs)
    assert answer.status == 200
    await imagine.slack.wait_for(lambda: execution.state != "running", timeout=15)
    return execution, body


async def step_status(imagine, execution_id: str, timeout_s: float = 5.0) -> str | None:  # type: ignore[no-untyped-def]
    """The step's recorded status once it has ended: the app records it just after it tells
    Slack (functions.completeSuccess / completeError), so the test may look first."""
    steps = imagine.services.store.workflow_steps
    for _ in range(int(timeout_s / 0.02)):
        status = await steps.status(execution_id)
        if status != "running":
            return status  # type: ignore[no-any-return]
        await asyncio.sleep(0.02)
    return await steps.status(execution_id)  # type: ignore[no-any-return]


def bearer(call) -> str:
    return call.headers.get("Authorization", "").removeprefix("Bearer ")


async def test_step_posts_images_and_completes_with_the_declared_outputs(start_imagine) -> None:
    async with start_imagine() as imagine:
        execution, _ = await run_step(imagine, inputs(n=2, size="landscape"))
        slack = imagine.slack
        assert execution.state == "completed", execution.error
        outputs = execution.outputs
        assert set(outputs) == set(FUNCTION["output_parameters"]) == set(OUTPUT_TYPES)
        [message] = [m for m in slack.messages if m.files]
        assert (message.channel, message.thread_ts, len(message.files)) == ("C1", None, 2)
        assert message.text.startswith("<@U7> imagined: ")
        assert outputs["revised_prompt"] == revised("a lighthouse at dawn")
        assert outputs["message_ts"] == message.ts
        assert outputs["message_context"] == {"channel_id": "C1", "message_ts": message.ts}
        assert outputs["permalink"].endswith(f"/archives/C1/p{message.ts.replace('.', '')}")
        assert outputs["image_count"] == 2
        assert isinstance(outputs["created_at"], int) and outputs["created_at"] > 1_700_000_000
        assert outputs["estimated_cost_usd"] > 0
        record = await imagine.services.store.history.record(outputs["request_id"])
        assert record is not None and record.source == "workflow" and record.user_id == "U7"
        assert record.cost_usd == pytest.approx(outputs["estimated_cost_usd"])
        # Regenerate is offered as for every request.
        assert any("imagine_regenerate" in json.dumps(m.blocks or []) for m in slack.messages)
        # Tokens: the step ends with the execution token, uploads and look-ups use the bot token.
        [success] = slack.calls_to("functions.completeSuccess")
        assert bearer(success) == execution.token and execution.token.startswith("xwfp-")
        for method in ("files.getUploadURLExternal", "files.completeUploadExternal", "files.info"):
            assert {bearer(call) for call in slack.calls_to(method)} == {BOT_TOKEN}
        assert not slack.ephemerals  # the workflow, not an ephemeral message, reports
        assert await step_status(imagine, execution.id) == "completed"


@pytest.mark.parametrize(
    "extra",
    [
        {"message_context": {"channel_id": "C1", "message_ts": "1700000000.000100"}},
        {"thread_ts": "1700000000.000100"},
    ],
)
async def test_step_replies_in_the_thread_it_is_given(start_imagine, extra) -> None:
    async with start_imagine() as imagine:
        execution, _ = await run_step(imagine, inputs(**extra))
        assert execution.state == "completed", execution.error
        [message] = [m for m in imagine.slack.messages if m.files]
        assert (message.channel, message.thread_ts) == ("C1", "1700000000.000100")
        assert "thread_ts=1700000000.000100" in execution.outputs["permalink"]


async def test_step_without_a_user_uses_the_person_who_ran_the_workflow(start_imagine) -> None:
    person = {"interactivity_pointer": "1.2.3", "interactor": {"id": "U42", "secret": "s3cr3t"}}
    async with start_imagine() as imagine:
        step = {"prompt": "a fox", "channel_id": "C1", "interactivity": person}
        execution, _ = await run_step(imagine, step)
        assert execution.state == "completed", execution.error
        [message] = [m for m in imagine.slack.messages if m.files]
        assert message.text.startswith("<@U42> imagined: ")


@pytest.mark.parametrize(
    ("step_inputs", "expected"),
    [
        (inputs(prompt="x" * 1001), messages.prompt_too_long(1001, 1000)),
        (inputs(size="huge"), "`huge` is not a size."),
        (inputs(n=9), messages.step_n_invalid("9", 5)),
        (inputs(preset="poster"), messages.step_preset_unknown("poster")),
        (inputs(channel_id=""), messages.STEP_CHANNEL_MISSING),
        (inputs(thread_ts="yesterday"), messages.step_thread_ts_invalid("yesterday")),
        (
            inputs(message_context={"channel_id": "C2", "message_ts": "1700000000.000100"}),
            messages.step_thread_elsewhere("C2", "C1"),
        ),
        (inputs(user_id="alice"), messages.step_user_invalid("alice")),
        (inputs(prompt={"type": "rich_text"}), messages.step_input_malformed("prompt")),
    ],
)
async def test_invalid_inputs_fail_the_step_with_the_same_text_as_imagine(
    start_imagine, openai_mock, step_inputs, expected
) -> None:
    async with start_imagine() as imagine:
        execution, _ = await run_step(imagine, step_inputs)
        assert execution.state == "failed" and expected in execution.error
        assert not openai_mock["responses"].calls and not imagine.slack.uploads


async def test_daily_quota_fails_the_step(start_imagine) -> None:
    async with start_imagine(user_daily_image_limit=1) as imagine:
        execution, _ = await run_step(imagine, inputs(n=2))
        assert execution.state == "failed"
        assert "You've used 0 of your 1 image for today" in execution.error


async def test_monthly_budget_fails_the_step(start_imagine) -> None:
    async with start_imagine(monthly_budget_usd=0.0001) as imagine:
        execution, _ = await run_step(imagine, inputs())
        assert execution.state == "failed" and "monthly image budget" in execution.error


def openai_error(status: int, code: str, kind: str = "invalid_request_error"):
    def answer(request: httpx.Request) -> httpx.Response:
        error = {"message": "refused", "type": kind, "param": None, "code": code}
        return httpx.Response(status, json={"error": error})

    return answer


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "moderation_blocked", "OpenAI's safety system refused this prompt"),
        (503, "server_error", "OpenAI is having trouble right now"),
    ],
)
async def test_openai_failures_fail_the_step(
    start_imagine, openai_mock, status, code, expected
) -> None:
    openai_mock["responses"].mock(side_effect=openai_error(status, code))
    async with start_imagine(openai_max_retries=0) as imagine:
        execution, _ = await run_step(imagine, inputs())
        assert execution.state == "failed" and expected in execution.error
        assert not imagine.slack.ephemerals


async def test_private_channel_without_the_bot_fails_the_step(start_imagine) -> None:
    async with start_imagine(channels={"G1": "private"}) as imagine:
        execution, _ = await run_step(imagine, inputs(channel_id="G1"))
        assert execution.state == "failed" and execution.error == messages.PRIVATE_CHANNEL


def slow(seconds: float):
    from tests.conftest import responses_answer

    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(seconds)
        return responses_answer(request)

    return answer


async def test_job_deadline_fails_the_step(start_imagine, openai_mock) -> None:
    openai_mock["responses"].mock(side_effect=slow(5))
    async with start_imagine(job_timeout_s=0.3) as imagine:
        execution, _ = await run_step(imagine, inputs())
        assert execution.state == "failed"
        assert execution.error == messages.job_timed_out(0.3)


async def test_full_queue_fails_the_step(start_imagine, openai_mock) -> None:
    openai_mock["responses"].mock(side_effect=slow(1))
    async with start_imagine(max_concurrent_jobs=1, max_queued_jobs=0) as imagine:
        imagine.slack.workflow.declare(MANIFEST["functions"])
        first, _, _ = await imagine.function_executed(inputs())
        await imagine.slack.wait_for(lambda: imagine.services.jobs.running == 1)
        second, _ = await run_step(imagine, inputs(prompt="a second lighthouse"))
        assert second.state == "failed" and second.error == messages.QUEUE_FULL
        await imagine.slack.wait_for(lambda: first.state != "running", timeout=15)
        assert first.state == "completed"


async def test_shutdown_fails_running_and_waiting_steps(start_imagine, openai_mock) -> None:
    openai_mock["responses"].mock(side_effect=slow(30))
    async with start_imagine(max_concurrent_jobs=1) as imagine:
        imagine.slack.workflow.declare(MANIFEST["functions"])
        running, _, _ = await imagine.function_executed(inputs())
        waiting, _, _ = await imagine.function_executed(inputs(prompt="another"))
        await imagine.slack.wait_for(lambda: imagine.services.jobs.waiting == 1)
        from bot.recovery import tell_unfinished

        unfinished = await imagine.services.jobs.shutdown(grace_s=0.1)
        await tell_unfinished(imagine.services, unfinished)
        assert await imagine.services.steps.drain(5) == 0
        late, _ = await run_step(imagine, inputs(prompt="too late"))
        for execution in (running, waiting):
            assert execution.state == "failed" and execution.error == messages.JOB_INTERRUPTED
        assert late.state == "failed" and late.error == messages.SHUTTING_DOWN
        assert not imagine.slack.ephemerals


async def test_a_retried_event_runs_the_step_once(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        execution, body = await run_step(imagine, inputs())
        _, _, again = await imagine.function_executed({}, body=body, retry_num=1)
        assert again.status == 200
        # The same execution announced under another event id is not run again either.
        _, _, other = await imagine.function_executed({}, body={**body, "event_id": "EvOther"})
        await asyncio.sleep(0.3)
        assert len(openai_mock["responses"].calls) == 1
        assert len([m for m in imagine.slack.messages if m.files]) == 1
        assert len(imagine.slack.calls_to("functions.completeSuccess")) == 1
        assert execution.state == "completed"


async def test_fake_slack_accepts_only_the_execution_token(start_imagine) -> None:
    async with start_imagine() as imagine:
        client = imagine.services.slack
        execution, _ = imagine.slack.workflow.execution(inputs())
        other, _ = imagine.slack.workflow.execution(inputs())
        from slack_sdk.errors import SlackApiError

        attempts = [
            (BOT_TOKEN, "not_allowed_token_type"),
            ("xwfp-made-up", "invalid_auth"),
            (other.token, "access_denied"),
        ]
        for token, error in attempts:
            with pytest.raises(SlackApiError) as refused:
                await client.functions_completeError(
                    token=token, function_execution_id=execution.id, error="x"
                )
            assert refused.value.response["error"] == error
        await client.functions_completeError(
            token=execution.token, function_execution_id=execution.id, error="stopped"
        )
        with pytest.raises(SlackApiError) as again:
            await client.functions_completeSuccess(
                token=execution.token, function_execution_id=execution.id, outputs={}
            )
        assert again.value.response["error"] == "execution_not_in_running_state"
        assert execution.error == "stopped"


def test_manifest_declares_the_step() -> None:
    settings = MANIFEST["settings"]
    assert settings["function_runtime"] == "remote" and settings["org_deploy_enabled"] is True
    assert "function_executed" in settings["event_subscriptions"]["bot_events"]
    assert "files:read" in MANIFEST["oauth_config"]["scopes"]["bot"]  # files.info shares
    assert FUNCTION["title"] == "Generate images" and FUNCTION["description"]
    declared = {name: spec["type"] for name, spec in FUNCTION["output_parameters"].items()}
    assert declared == OUTPUT_TYPES
    params = FUNCTION["input_parameters"]
    required = {name for name, spec in params.items() if spec.get("is_required")}
    assert required == {"prompt", "channel_id"}
    assert params["channel_id"]["type"] == "slack#/types/channel_id"
    assert (params["n"]["type"], params["n"]["minimum"], params["n"]["maximum"]) == (
        "integer",
        1,
        5,
    )
    assert params["preset"]["enum"] == ["none", "slide", "brand"]
    for spec in [*params.values(), *FUNCTION["output_parameters"].values()]:
        assert spec["title"] and spec["description"]
    assert all(re.fullmatch(r"[a-z_]+", name) for name in params)


async def test_a_step_whose_job_is_cancelled_while_waiting_fails(
    start_imagine, openai_mock
) -> None:
    openai_mock["responses"].mock(side_effect=slow(1))
    async with start_imagine(max_concurrent_jobs=1) as imagine:
        imagine.slack.workflow.declare(MANIFEST["functions"])
        running, _, _ = await imagine.function_executed(inputs())
        waiting, _, _ = await imagine.function_executed(inputs(prompt="another"))
        await imagine.slack.wait_for(lambda: imagine.services.jobs.waiting == 1)
        [job] = imagine.services.jobs.order()
        assert imagine.services.jobs.cancel(job.id) == "waiting"
        await imagine.slack.wait_for(lambda: waiting.state != "running")
        assert waiting.state == "failed" and waiting.error == messages.CANCELLED
        await imagine.slack.wait_for(lambda: running.state != "running", timeout=15)
        assert running.state == "completed"
        assert await step_status(imagine, waiting.id) == "failed"


async def test_a_partly_failed_request_completes_with_the_images_made(
    start_imagine, openai_mock
) -> None:
    from tests.conftest import responses_answer

    answers = iter([responses_answer, openai_error(400, "moderation_blocked")])
    openai_mock["responses"].mock(side_effect=lambda request: next(answers)(request))
    async with start_imagine() as imagine:
        execution, _ = await run_step(imagine, inputs(n=2))
        assert execution.state == "completed", execution.error
        assert execution.outputs["image_count"] == 1
        [message] = [m for m in imagine.slack.messages if m.files]
        assert len(message.files) == 1 and not imagine.slack.ephemerals


def rate_limited() -> httpx.Response:
    """A 429 ``rate_limit_exceeded`` that asks to wait 1.2 s."""
    error = {"message": "Rate limit reached. Please try again in 1.2s.", "type": "requests",
             "code": "rate_limit_exceeded"}  # fmt: skip
    return httpx.Response(429, headers={"retry-after-ms": "1200"}, json={"error": error})


async def test_a_step_waiting_for_openai_capacity_sends_no_chat_notice(
    start_imagine, openai_mock
) -> None:
    """Waiting for OpenAI's rate limit is told to a person who asked in chat, once; a workflow
    step's requester is told by the step's outcome instead, so nothing is sent to them."""
    refusals: list[httpx.Response] = [rate_limited()]

    def answer(request: httpx.Request) -> httpx.Response:
        return refusals.pop() if refusals else responses_answer(request)

    def told(slack: Any) -> list[Any]:
        return [m for m in [*slack.ephemerals, *slack.responses] if "OpenAI capacity" in str(m)]

    openai_mock["responses"].mock(side_effect=answer)
    async with start_imagine() as imagine:
        imagine.services.pacer._notice_after_s = 0.2  # tell of any wait longer than this
        execution, _ = await run_step(imagine, inputs())
        assert execution.state == "completed", execution.error
        assert told(imagine.slack) == []

        refusals.append(rate_limited())  # the same wait for a slash command is told
        await imagine.command("a lighthouse at dusk")
        await imagine.slack.wait_for(lambda: told(imagine.slack), timeout=20)
