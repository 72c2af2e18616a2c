"""The per-image actions under a result (issue #8): **Edit…** opens the edit modal for the
image chosen; **Variations** makes new takes of it that keep its composition, posted in the
result's thread. Values are ``<job id>:<image>`` keys (:mod:`bot.result_actions`)."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.delivery import notify
from bot.edit_modal import EditModalContext, build_edit_modal
from bot.edits import variations_job
from bot.errors import UserInputError
from bot.jobs import Destination
from bot.listeners.common import services_of, settings_of
from bot.listeners.conversation import submit
from bot.payloads import BlockAction
from bot.result_actions import action_value, parse_image_value
from bot.services import Services
from bot.settings import Settings
from bot.store.conversations import Turn

log = logging.getLogger(__name__)


async def edit_image(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Open the Edit… modal (``views.open`` needs the 3-second ``trigger_id``, so right away)."""
    await ack()
    target = await _target(client, body, action, context)
    if target is None:
        return
    _, payload, turn, number, settings = target
    modal = EditModalContext(
        job_id=turn.job_id,
        channel_id=turn.channel_id,
        image=number,
        response_url=payload.response_url,
    )
    try:
        await client.views_open(
            trigger_id=payload.trigger_id or "",
            view=build_edit_modal(turn, number, settings, modal),
        )
    except SlackApiError as exc:
        log.warning("views.open failed for Edit…: %s", exc.response.get("error"))


async def image_variations(
    ack: AsyncAck, body: dict, action: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Submit a variations job for the chosen image, in the result's thread."""
    await ack()
    target = await _target(client, body, action, context)
    if target is None:
        return
    services, payload, turn, number, settings = target
    root = await services.threads.root_of(client, turn)
    destination = Destination(
        team_id=turn.team_id,
        enterprise_id=context.enterprise_id,
        channel_id=turn.channel_id,
        user_id=payload.user.id,
        thread_ts=root,
        response_url=payload.response_url,
    )
    if root is None:
        await notify(client, destination, messages.RESULT_NOT_LOCATED)
        return
    try:
        job = variations_job(client, turn, number, destination, settings)
    except UserInputError as exc:
        await notify(client, destination, exc.text)
        return
    await submit(services, client, job, settings)


async def _target(
    client: AsyncWebClient, body: dict, action: dict, context: AsyncBoltContext
) -> tuple[Services, BlockAction, Turn, int, Settings] | None:
    """What an image action is about: the services, the payload, the result, the image number
    and the workspace's effective settings; ``None`` (the person is told) when the payload is
    malformed, the result expired or it has no such image."""
    services = services_of(context)
    try:
        payload = BlockAction.model_validate(body)
    except ValidationError:
        log.warning("malformed block_actions payload")
        return None
    parsed = parse_image_value(action_value(action))
    turn = await services.threads.get(parsed[0]) if parsed else None
    here = Destination(
        team_id=payload.team.id if payload.team else "",
        channel_id=payload.channel.id if payload.channel else "",
        user_id=payload.user.id,
        response_url=payload.response_url,
    )
    if parsed is None or turn is None:
        days = services.settings.conversation_retention_days
        await notify(client, here, messages.edit_expired(days))
        return None
    number = parsed[1]
    if turn.image(number) is None:
        await notify(client, here, messages.no_such_image(number, len(turn.images)))
        return None
    return services, payload, turn, number, await settings_of(services, context)
