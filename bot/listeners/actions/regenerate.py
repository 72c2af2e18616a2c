"""The Regenerate button: run the same request again, in the same place, for whoever clicked;
for an edit, variations or a request with people's images, from the same images."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.delivery import notify
from bot.edits import with_inputs_again
from bot.errors import UserInputError
from bot.jobs import Destination
from bot.listeners.common import ack_blocks, enqueue, services_of
from bot.payloads import BlockAction

log = logging.getLogger(__name__)


async def regenerate(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Look up the button's key and submit the stored request again, attributed to the user who
    clicked; an unknown or forgotten key tells them the button expired."""
    await ack()
    services = services_of(context)
    try:
        payload = BlockAction.model_validate(body)
    except ValidationError:
        log.warning("malformed block_actions payload")
        return
    entry = await services.store.regenerate.get(str(action.get("value") or ""))
    team_id = str(context.team_id or (payload.team.id if payload.team else ""))
    if entry is not None and entry.team_id != team_id:
        log.warning("Regenerate key of team %s clicked in team %s", entry.team_id, team_id)
        entry = None  # another workspace's request is never shown or run here
    channel_id = entry.channel_id if entry else (payload.channel.id if payload.channel else "")
    destination = Destination(
        team_id=team_id,
        enterprise_id=context.enterprise_id,
        channel_id=channel_id,
        user_id=payload.user.id,
        thread_ts=entry.thread_ts if entry else None,
        response_url=payload.response_url,
    )
    if entry is None:
        await notify(client, destination, messages.REGENERATE_EXPIRED)
        return
    settings = await services.settings_for(destination.team_id, context.enterprise_id)
    job = entry.job_for(destination)
    if entry.continues is not None:  # from the same images (issue #8)
        try:
            job = await with_inputs_again(
                job, client=client, settings=settings, threads=services.threads
            )
        except UserInputError as exc:
            await notify(client, destination, exc.text)
            return
    position, text = await enqueue(services, job, settings)
    if position != 0:  # it started: the images will say so
        await notify(client, destination, text, ack_blocks(job, position, text))
