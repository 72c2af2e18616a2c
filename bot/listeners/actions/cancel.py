"""The Cancel button: its owner cancels a waiting or running request.

A waiting request leaves the line; a running one is stopped before anything is posted (its
images are not uploaded); either way the quota reservation is given back and the history says
``cancelled``. Anyone else who presses it is told who may.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot import messages
from bot.listeners.common import services_of
from bot.payloads import BlockAction
from bot.resume import forget

log = logging.getLogger(__name__)


async def cancel(
    ack: AsyncAck, body: dict, action: dict, respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    """Cancel the job named by the button's value, if the person pressing it asked for it."""
    await ack()
    services = services_of(context)
    try:
        payload = BlockAction.model_validate(body)
    except ValidationError:
        log.warning("malformed block_actions payload")
        return
    job_id = str(action.get("value") or "")[:64]
    job = services.jobs.get(job_id)
    if job is None:
        await respond(text=messages.CANCEL_GONE, response_type="ephemeral", replace_original=False)
        return
    team_id = payload.team.id if payload.team else job.destination.team_id
    if (team_id, payload.user.id) != job.owner:
        text = messages.cancel_not_yours(job.destination.user_id)
        await respond(text=text, response_type="ephemeral", replace_original=False)
        return
    result = services.jobs.cancel(job_id)
    if result is None:
        await respond(text=messages.CANCEL_GONE, response_type="ephemeral", replace_original=False)
        return
    if result == "delivering":
        text = messages.CANCEL_TOO_LATE
        await respond(text=text, response_type="ephemeral", replace_original=False)
        return
    if result == "waiting":  # a running job records its own end (bot.pipeline)
        await services.store.history.finished(job, outcome="cancelled", error=None)
        await forget(services, job)
        services.metrics.requests.labels(job.source, "cancelled").inc()
    log.info("job %s cancelled by its owner while %s", job_id, result)
    await respond(
        text=messages.cancelled_notice(job.request.user_prompt),
        response_type="ephemeral",
        replace_original=True,
    )
