"""The "Generate images" Workflow Builder step: a ``function_executed`` event becomes a job on
the same path as ``/imagine`` (validation, quotas and budget, the job queue, history with source
``workflow``, the caption with the revised prompt, Regenerate), and the step always ends with
``functions.completeSuccess`` (outputs for later steps) or ``functions.completeError`` (the text a
user would have read).

Bolt acks the event at once and runs this listener as a background task; inside it ``client``
and ``complete``/``fail`` carry the execution token (``xwfp-…``) Bolt attached, while uploads and
look-ups use the bot token of the job's workspace (``services.clients.for_team``). Slack
retries an event it thinks was not acknowledged, with the same ``event_id`` and
``function_execution_id``: each runs once.
Source: platform.md "Workflow Builder steps"; bolt-python ``AsyncApp.function``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.complete.async_complete import AsyncComplete
from slack_bolt.context.fail.async_fail import AsyncFail
from slack_sdk.errors import SlackApiError

from bot import messages
from bot.errors import NotInstalledError, UserInputError
from bot.jobs import Destination, Job, JobWatch
from bot.listeners.common import enqueue, services_of, settings_of
from bot.services import Services
from bot.settings import Settings
from bot.workflow.inputs import parse_inputs
from bot.workflow.outputs import Accounting, build_outputs

log = logging.getLogger(__name__)


async def generate_images_step(
    body: dict[str, Any],
    inputs: dict[str, Any] | None,
    context: AsyncBoltContext,
    complete: AsyncComplete,
    fail: AsyncFail,
) -> None:
    """Run the step once per execution; end it with ``complete`` or ``fail``, whatever happens."""
    services = services_of(context)
    execution_id = context.function_execution_id or ""
    event_id = str(body.get("event_id") or "")
    if not _first_delivery(services, event_id, execution_id):
        log.info("ignoring repeated function_executed %s (execution %s)", event_id, execution_id)
        return
    with services.steps.track():
        try:
            await _run(services, body, inputs, context, complete, fail)
        except Exception:
            log.exception("workflow step %s crashed", execution_id)
            await _end(fail, messages.UNEXPECTED, execution_id)


def _first_delivery(services: Services, event_id: str, execution_id: str) -> bool:
    """False when this event or this execution was seen recently (a retry)."""
    fresh_event = not event_id or services.recent_events.first_time(event_id)
    fresh_execution = services.recent_events.first_time(f"function_execution:{execution_id}")
    return fresh_event and fresh_execution


async def _run(
    services: Services,
    body: dict[str, Any],
    inputs: dict[str, Any] | None,
    context: AsyncBoltContext,
    complete: AsyncComplete,
    fail: AsyncFail,
) -> None:
    execution_id = context.function_execution_id or ""
    settings = await settings_of(services, context)  # the workspace's own, over the environment's
    try:
        step = parse_inputs(inputs, settings)
    except UserInputError as exc:
        log.info("workflow step %s refused: invalid %s", execution_id, exc.field)
        await _end(fail, exc.text, execution_id)
        return
    destination = Destination(
        team_id=str(context.team_id or body.get("team_id") or ""),
        enterprise_id=context.enterprise_id,
        channel_id=step.channel_id,
        # Nobody to attribute (a scheduled workflow): the app itself asked.
        user_id=step.user_id or context.bot_user_id or "USLACKBOT",
        thread_ts=step.thread_ts,
    )
    job = Job(request=step.request, destination=destination, source="workflow", watch=JobWatch())
    claimed = await services.store.workflow_steps.claim(
        execution_id,
        team_id=destination.team_id,
        job_id=job.id,
        token=context.function_bot_access_token,
        event_id=str(body.get("event_id") or "") or None,
    )
    if not claimed:  # another instance (or an earlier delivery) runs it
        log.info("workflow step %s is already running elsewhere", execution_id)
        return
    ended = "failed"
    try:
        if await _run_job(services, job, settings, complete, fail, execution_id):
            ended = "completed"
    finally:
        await services.store.workflow_steps.finish(execution_id, ended)


async def _run_job(
    services: Services,
    job: Job,
    settings: Settings,
    complete: AsyncComplete,
    fail: AsyncFail,
    execution_id: str,
) -> bool:
    """Submit ``job``, wait for its outcome and end the step; True when it completed."""
    position, text = await enqueue(services, job, settings)
    if position is None:
        await _end(fail, text, execution_id)
        return False
    assert job.watch is not None
    result = await job.watch.wait()
    if not result.ok:
        await _end(fail, result.error_text or messages.UNEXPECTED, execution_id)
        return False
    destination = job.destination
    try:
        client = await services.clients.for_team(destination.team_id, destination.enterprise_id)
    except NotInstalledError:
        await _end(fail, messages.NOT_INSTALLED, execution_id)
        return False
    outputs = await build_outputs(client, job, result, await _accounting(services, job))
    try:
        await complete(outputs=outputs)
    except SlackApiError as exc:
        log.error("functions.completeSuccess failed for %s: %s", execution_id, _code(exc))
        return False
    log.info("workflow step %s completed with job %s", execution_id, job.id)
    return True


async def _accounting(services: Services, job: Job) -> Accounting:
    """When the job was recorded and its estimated cost, from the history."""
    record = await services.store.history.record(job.id)
    if record is None:
        return Accounting(created_at=datetime.now(UTC), cost_usd=0.0)
    return Accounting(created_at=record.queued_at, cost_usd=record.cost_usd)


async def _end(fail: AsyncFail, text: str, execution_id: str) -> None:
    """``functions.completeError`` with ``text``; a refusal is logged (error code only)."""
    try:
        await fail(error=text)
    except SlackApiError as exc:
        log.error("functions.completeError failed for %s: %s", execution_id, _code(exc))
        return
    log.info("workflow step %s failed: %s", execution_id, text[:80])


def _code(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "unknown_error"))
