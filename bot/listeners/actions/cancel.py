"""The Cancel button: its owner cancels a waiting or running request.

A waiting request leaves the line; a running one is stopped before anything is posted (its
images are not uploaded); either way the quota reservation is given back and the history says
``cancelled``. Anyone else who presses it is told who may. A request running on another
instance is cancelled there (:mod:`bot.cancel_requests`).
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot import messages
from bot.cancel_requests import cancel_job
from bot.listeners.common import services_of
from bot.payloads import BlockAction
from bot.services import Services

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
    team_id = payload.team.id if payload.team else str(context.team_id or "")
    job = services.jobs.get(job_id)
    if job is None:  # not running here: perhaps on another instance (bot.cancel_requests)
        text, replace = await _cancel_elsewhere(services, job_id, team_id, payload.user.id)
        await respond(text=text, response_type="ephemeral", replace_original=replace)
        return
    if (team_id, payload.user.id) != job.owner:
        text = messages.cancel_not_yours(job.destination.user_id)
        await respond(text=text, response_type="ephemeral", replace_original=False)
        return
    result = await cancel_job(services, job)
    if result is None:
        await respond(text=messages.CANCEL_GONE, response_type="ephemeral", replace_original=False)
        return
    if result == "delivering":
        text = messages.CANCEL_TOO_LATE
        await respond(text=text, response_type="ephemeral", replace_original=False)
        return
    await respond(
        text=messages.cancelled_notice(job.request.user_prompt),
        response_type="ephemeral",
        replace_original=True,
    )


async def _cancel_elsewhere(
    services: Services, job_id: str, team_id: str, user_id: str
) -> tuple[str, bool]:
    """Ask the instance running ``job_id`` to cancel it, through the journal. Returns the
    answer for the person who pressed Cancel and whether it replaces the original message."""
    asked = await services.store.journal.request_cancel(job_id, team_id=team_id, user_id=user_id)
    if asked.outcome == "requested":
        if asked.user_prompt:
            return messages.cancelled_notice(asked.user_prompt), True
        return messages.CANCELLED, True
    if asked.outcome == "not_yours" and asked.owner_id:
        return messages.cancel_not_yours(asked.owner_id), False
    if asked.outcome == "delivering":
        return messages.CANCEL_TOO_LATE, False
    return messages.CANCEL_GONE, False
