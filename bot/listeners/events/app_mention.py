"""``@Imagine a watercolour fox``: generate from the text after the mention and reply in the
mention's thread (``event.thread_ts`` or ``event.ts``).

Bolt acks events itself. Slack retries events with the same ``event_id`` when it thinks they were
not acknowledged, so each ``event_id`` is handled once (platform.md, "Events").
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.command import parse_command_text
from bot.delivery import notify
from bot.errors import UserInputError
from bot.jobs import Destination, Job
from bot.listeners.common import (
    ack_blocks,
    channel_refusal,
    enqueue,
    services_of,
    settings_of,
)
from bot.payloads import AppMention
from bot.request import build_request

log = logging.getLogger(__name__)


async def app_mention(
    body: dict, event: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Turn a mention into a job; usage, validation errors and queue refusals go to the
    mentioner as an ephemeral message in the thread."""
    services = services_of(context)
    event_id = str(body.get("event_id") or "")
    if event_id and not services.recent_events.first_time(event_id):
        log.info("ignoring repeated event %s (retry %s)", event_id, context.get("retry_num"))
        return
    try:
        mention = AppMention.model_validate(event)
    except ValidationError:
        log.warning("malformed app_mention event %s", event_id)
        return
    thread_ts = mention.thread_ts or mention.ts
    destination = Destination(
        team_id=mention.team or str(body.get("team_id") or context.team_id or ""),
        channel_id=mention.channel,
        user_id=mention.user,
        thread_ts=thread_ts,
        source_ts=mention.ts,
    )
    settings = await settings_of(services, context)
    if refusal := channel_refusal(settings, mention.channel):
        await notify(client, destination, refusal)
        return
    bot_user_id = context.bot_user_id
    try:
        parsed = parse_command_text(
            mention.text,
            max_images=settings.max_images,
            drop_user_ids=(bot_user_id,) if bot_user_id else (),
        )
        if parsed.kind != "generate":
            await notify(
                client, destination, messages.usage(settings.max_images, settings.prompt_max_chars)
            )
            return
        request = build_request(parsed.prompt, parsed.options, settings)
    except UserInputError as exc:
        await notify(client, destination, exc.text)
        return
    job = Job(request=request, destination=destination, source="mention")
    position, text = await enqueue(services, job, settings)
    if position != 0:  # it started: the hourglass reaction says so
        await notify(client, destination, text, ack_blocks(job, position, text))
