"""Message shortcuts: open the modal prefilled with the message's text, for the slide or the
brand asset preset; the images will be a reply in that message's thread. The message's own
images (up to MAX_INPUT_IMAGES) are used as references unless the person leaves them out
(issue #8).

``views.open`` needs a ``trigger_id`` less than 3 seconds old (platform.md, "Modals"), so the
handler acks and opens the modal straight away.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import notify
from bot.inputs import usable_message_images
from bot.jobs import Destination
from bot.listeners.common import channel_refusal, services_of, settings_of
from bot.modal import build_modal
from bot.payloads import MessageAction, ModalContext
from bot.slack_text import slack_to_plain

log = logging.getLogger(__name__)

SLIDE_CALLBACK_ID = "imagine_slide"
BRAND_CALLBACK_ID = "imagine_brand"


async def open_slide_modal(
    ack: AsyncAck, shortcut: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """ "Imagine a slide": the modal with the slide preset."""
    await _open(ack, shortcut, client, context, "slide")


async def open_brand_modal(
    ack: AsyncAck, shortcut: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """ "Imagine a brand asset": the modal with the brand preset."""
    await _open(ack, shortcut, client, context, "brand")


async def _open(
    ack: AsyncAck,
    shortcut: dict,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    preset: str,
) -> None:
    await ack()
    services = services_of(context)
    try:
        action = MessageAction.model_validate(shortcut)
    except ValidationError as exc:
        log.warning("malformed message shortcut payload: %d problems", exc.error_count())
        return
    settings = await settings_of(services, context)
    files, left_out = usable_message_images(
        action.message.files,
        max_bytes=settings.max_input_image_bytes,
        max_images=settings.max_input_images,
    )
    modal_context = ModalContext(
        preset=preset,
        channel_id=action.channel.id,
        thread_ts=action.thread_ts,
        source_ts=action.message.ts,
        response_url=action.response_url,
        files=files or None,
    )
    if refusal := channel_refusal(settings, action.channel.id):
        destination = Destination(
            team_id=action.team.id,
            channel_id=action.channel.id,
            user_id=action.user.id,
            thread_ts=action.thread_ts,
            response_url=action.response_url,
        )
        services.metrics.refused(f"shortcut:{preset}", "channel")
        await notify(client, destination, refusal)
        return
    prefill = slack_to_plain(action.message.text)
    try:
        await client.views_open(
            trigger_id=action.trigger_id,
            view=build_modal(modal_context, prefill, settings, left_out=left_out),
        )
    except SlackApiError as exc:
        log.warning("views.open failed for %s shortcut: %s", preset, exc.response.get("error"))
