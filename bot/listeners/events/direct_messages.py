"""``message`` events: people's direct messages to the app (``message.im``, scope
``im:history``; the App Home Messages tab). A top-level message is a prompt (the ``/imagine``
grammar, attached images as input) whose images are posted in the DM; a reply in the thread of
a result refines it (issue #8).

Skipped, as platform.md ("DMs and the Messages tab") says: events with a ``subtype`` other than
``file_share`` (edits, deletions, joins…), with a ``bot_id``, or from the app's own user. A
channel ``message`` (only delivered if a workspace subscribes ``message.channels``) is acted on
only when it mentions the app (a thread reply also sent to the channel, ``thread_broadcast``,
included), and then once, whichever of it and its ``app_mention`` arrives first.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.delivery import notify
from bot.jobs import Destination
from bot.listeners.common import services_of, settings_of
from bot.listeners.conversation import (
    DM_SUBTYPES,
    MENTION_SUBTYPES,
    first_time_post,
    generate,
    is_from_a_person,
    refine,
)
from bot.listeners.events.app_mention import handle_mention
from bot.payloads import AppMention

log = logging.getLogger(__name__)


async def message(
    body: dict, event: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Route a person's message: a DM prompt, a DM reply in a result's thread, or a channel
    post that mentions the app. Everything else is acknowledged and ignored."""
    in_channel = event.get("channel_type") != "im"
    subtypes = MENTION_SUBTYPES if in_channel else DM_SUBTYPES
    if not is_from_a_person(event, context.bot_user_id, subtypes=subtypes):
        return
    try:
        post = AppMention.model_validate(event)
    except ValidationError:
        log.warning("malformed message event %s", body.get("event_id"))
        return
    services = services_of(context)
    # the workspace the app is installed in (Slack Connect: not necessarily the user's)
    team_id = str(context.team_id or post.team or body.get("team_id") or "")
    if in_channel:
        bot_user_id = context.bot_user_id
        mentioned = bool(bot_user_id) and f"<@{bot_user_id}" in post.text
        if mentioned and await first_time_post(services, body, post.channel, post.ts):
            await handle_mention(services, client, context, post, team_id=team_id)
        return
    if not await first_time_post(services, body, post.channel, post.ts):
        return
    settings = await settings_of(services, context)
    if post.thread_ts:
        destination = Destination(
            team_id=team_id,
            enterprise_id=context.enterprise_id,
            channel_id=post.channel,
            user_id=post.user,
            thread_ts=post.thread_ts,
            source_ts=post.ts,
        )
        turn = await services.threads.in_thread(client, team_id, post.channel, post.thread_ts)
        if turn is None:
            await notify(client, destination, messages.REFINE_NO_RESULT)
            return
        await refine(
            services,
            client,
            turn,
            post.text,
            destination,
            settings,
            files=post.files,
            bot_user_id=context.bot_user_id,
        )
        return
    destination = Destination(
        team_id=team_id,
        enterprise_id=context.enterprise_id,
        channel_id=post.channel,
        user_id=post.user,
        source_ts=post.ts,
    )
    await generate(
        services,
        client,
        post.text,
        destination,
        settings,
        source="dm",
        files=post.files,
        bot_user_id=context.bot_user_id,
    )
