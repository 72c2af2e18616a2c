"""``@Imagine …``: in the thread of an Imagine result, an instruction that edits it (issue #8);
anywhere else, a new request whose images go to the mention's thread (``event.thread_ts`` or
``event.ts``). Images attached to the mention are used as input.

A reply also sent to the channel (``subtype: thread_broadcast``) counts like any reply in its
thread; mentions by other apps (``bot_id``) and edited messages are not acted on. Bolt acks events
itself. Slack retries events with the same ``event_id`` when it thinks they were
not acknowledged, and a mention in a channel the app is in also arrives as a ``message`` event;
each post is handled once (platform.md, "Events", "Files from users").
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.delivery import notify
from bot.edits import names_an_image
from bot.jobs import Destination
from bot.listeners.common import channel_refusal, services_of, settings_of
from bot.listeners.conversation import (
    MENTION_SUBTYPES,
    first_time_post,
    generate,
    is_from_a_person,
    refine,
)
from bot.payloads import AppMention
from bot.services import Services

log = logging.getLogger(__name__)


async def app_mention(
    body: dict, event: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Turn a mention into an edit or a new job; usage, validation errors and queue refusals go
    to the mentioner as an ephemeral message in the thread."""
    services = services_of(context)
    if not is_from_a_person(event, context.bot_user_id, subtypes=MENTION_SUBTYPES):
        return  # another app's mention (no loops), an edited message, or the app's own
    try:
        mention = AppMention.model_validate(event)
    except ValidationError:
        log.warning("malformed app_mention event %s", body.get("event_id"))
        return
    if not await first_time_post(services, body, mention.channel, mention.ts):
        return
    await handle_mention(services, client, context, mention, team_id=str(body.get("team_id") or ""))


async def handle_mention(
    services: Services,
    client: AsyncWebClient,
    context: AsyncBoltContext,
    mention: AppMention,
    *,
    team_id: str,
) -> None:
    """Act on a (deduplicated) mention: also used for a channel ``message`` that mentions the
    app when only that event arrives."""
    destination = Destination(
        # the workspace the app is installed in (Slack Connect: not necessarily the user's)
        team_id=str(context.team_id or mention.team or team_id or ""),
        enterprise_id=context.enterprise_id,
        channel_id=mention.channel,
        user_id=mention.user,
        thread_ts=mention.thread_ts or mention.ts,
        source_ts=mention.ts,
    )
    settings = await settings_of(services, context)
    if refusal := channel_refusal(settings, mention.channel):
        services.metrics.refused("mention", "channel")
        await notify(client, destination, refusal)
        return
    bot_user_id = context.bot_user_id
    if mention.thread_ts:
        turn = await services.threads.in_thread(
            client, destination.team_id, mention.channel, mention.thread_ts
        )
        # the thread's first result (this thread's mention's, a shortcut's) may be on its way
        busy = services.threads.busy(destination.team_id, mention.channel, mention.thread_ts)
        if turn is not None or busy:
            await refine(
                services,
                client,
                turn,
                mention.text,
                destination,
                settings,
                files=mention.files,
                bot_user_id=bot_user_id,
            )
            return
        if names_an_image(mention.text, (bot_user_id,) if bot_user_id else ()):
            await notify(client, destination, messages.REFINE_NO_RESULT)
            return
    await generate(
        services,
        client,
        mention.text,
        destination,
        settings,
        source="mention",
        files=mention.files,
        bot_user_id=bot_user_id,
    )
