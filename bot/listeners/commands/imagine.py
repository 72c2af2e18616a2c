"""``/imagine [options] <prompt>``: validate, ack at once, generate after the ack.

Slash commands cannot be used in threads and carry no ``thread_ts`` (platform.md), so images go
to the command's channel. Every ack is ephemeral (the default ``response_type``).
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.command import parse_command_text
from bot.delivery import notify
from bot.errors import UserInputError
from bot.jobs import Destination, Job
from bot.listeners.answer_at_ack import after_ack
from bot.listeners.common import (
    ack_blocks,
    channel_refusal,
    enqueue,
    services_of,
    settings_of,
)
from bot.modal import build_modal
from bot.payloads import ModalContext, SlashCommand
from bot.request import build_request
from bot.settings import Settings
from bot.usage import usage_reply

log = logging.getLogger(__name__)


async def imagine_command(
    ack: AsyncAck, command: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Handle ``/imagine``: usage for ``help``, the modal for an empty command, else a job.

    Always acks within Slack's 3 seconds, with the reason when the request cannot be taken,
    and returns at its ack: Bolt answers Slack when it returns (``process_before_response``),
    so the modal is opened by a task of its own (:func:`bot.listeners.answer_at_ack.after_ack`).
    """
    services = services_of(context)
    try:
        payload = SlashCommand.model_validate(command)
    except ValidationError:
        await ack(text=messages.MALFORMED_REQUEST, response_type="ephemeral")
        return
    settings = await settings_of(services, context)
    destination = Destination(
        team_id=payload.team_id,
        enterprise_id=context.enterprise_id,
        channel_id=payload.channel_id,
        user_id=payload.user_id,
        response_url=payload.response_url,
    )
    try:
        parsed = parse_command_text(payload.text, max_images=settings.max_images)
        opens_modal = parsed.kind == "help" and not payload.text.strip() and payload.trigger_id
        refusal = channel_refusal(settings, payload.channel_id)
        if parsed.kind == "generate" and not refusal:
            request = build_request(parsed.prompt, parsed.options, settings)
    except UserInputError as exc:
        await ack(text=exc.text, response_type="ephemeral")
        return

    if refusal and (opens_modal or parsed.kind == "generate"):
        services.metrics.refused("command", "channel")
        await ack(text=refusal, response_type="ephemeral")
    elif opens_modal:
        await ack()
        modal = open_general_modal(client, str(payload.trigger_id), destination, settings)
        after_ack(modal, "open-modal")
    elif parsed.kind == "help":
        await ack(
            text=messages.usage(settings.max_images, settings.prompt_max_chars),
            response_type="ephemeral",
        )
    elif parsed.kind == "usage":
        is_admin = await services.admins.is_admin(
            client,
            settings,
            team_id=payload.team_id,
            user_id=payload.user_id,
            organisation=bool(context.is_enterprise_install),
        )
        text = await usage_reply(
            services.store,
            settings,
            team_id=payload.team_id,
            user_id=payload.user_id,
            is_admin=is_admin,
        )
        await ack(text=text, response_type="ephemeral")
    else:
        job = Job(request=request, destination=destination, source="command")
        position, text = await enqueue(services, job, settings)
        await ack(text=text, blocks=ack_blocks(job, position, text), response_type="ephemeral")


async def open_general_modal(
    client: AsyncWebClient, trigger_id: str, destination: Destination, settings: Settings
) -> None:
    """Open the modal with the general preset, posting to ``destination``'s channel; if Slack
    refuses (the trigger is older than 3 s), send the usage text instead."""
    context = ModalContext(
        preset="general",
        channel_id=destination.channel_id,
        response_url=destination.response_url,
    )
    try:
        await client.views_open(trigger_id=trigger_id, view=build_modal(context, "", settings))
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))
        await notify(
            client, destination, messages.usage(settings.max_images, settings.prompt_max_chars)
        )
