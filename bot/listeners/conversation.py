"""What the mention and DM listeners share (issue #8): a reply in the thread of a result
refines it; a new post generates, with any attached images as input."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot import messages
from bot.command import parse_command_text
from bot.delivery import notify
from bot.edits import attached_edit_job, edit_job, new_job, parse_instruction
from bot.errors import UserInputError
from bot.jobs import Destination, Job, Source
from bot.listeners.common import ack_blocks, enqueue
from bot.services import Services
from bot.settings import Settings
from bot.slack_text import drop_mentions
from bot.store.conversations import Turn
from bot.usage import usage_reply

log = logging.getLogger(__name__)


async def first_time_post(services: Services, body: dict[str, Any], channel: str, ts: str) -> bool:
    """False for a post already handled: a Slack retry (same ``event_id``, platform.md
    "Events"), or the same post arriving as ``app_mention`` and as ``message`` (same channel and
    ts, platform.md "Files from users"), here or on another instance (the database decides,
    :mod:`bot.store.seen_posts`; if it cannot be reached, this instance's memory alone)."""
    event_id = str(body.get("event_id") or "")
    if event_id and not services.recent_events.first_time(event_id):
        log.info("ignoring repeated event %s", event_id)
        return False
    if not services.recent_posts.first_time(f"{channel}:{ts}"):
        log.info("ignoring post %s:%s already handled", channel, ts)
        return False
    team = str(body.get("team_id") or "")
    try:
        first = await services.store.seen_posts.claim(f"{team}:{channel}:{ts}")
    except (SQLAlchemyError, OSError) as exc:
        log.warning("could not check post %s:%s with other instances: %s", channel, ts, exc)
        return True
    if not first:
        log.info("ignoring post %s:%s another instance handled", channel, ts)
    return first


async def refine(
    services: Services,
    client: AsyncWebClient,
    turn: Turn | None,
    text: str,
    destination: Destination,
    settings: Settings,
    *,
    files: list[dict[str, Any]],
    bot_user_id: str | None,
) -> None:
    """An instruction in the thread of ``turn``: edit its image (``#k`` or the default),
    with attached images as extra input. ``settings`` are the request's effective settings.
    Bad input is answered, before OpenAI is called. Follow-ups chain: an instruction that names
    no image, sent while results for the thread are queued or being made here, is told so,
    waits for them (at most their deadline and wait for capacity) and continues from the latest
    result. ``turn`` is ``None`` when the thread's first result is still being made
    (:meth:`bot.threads.Threads.busy`): then any instruction waits for it."""
    place = services.threads.take_place(destination)
    try:
        instruction = parse_instruction(
            text,
            max_images=settings.max_images,
            prompt_max_chars=settings.prompt_max_chars,
            drop_user_ids=(bot_user_id,) if bot_user_id else (),
        )
        if instruction.kind == "usage":
            await notify(client, destination, await _usage(services, destination, settings))
            return
        if instruction.kind == "help":
            await notify(client, destination, _help(settings))
            return
        # "the latest version" (or, before the first, any image) is the one being made
        if place.pending and (turn is None or not instruction.named):
            await notify(client, destination, messages.EDIT_AFTER_CURRENT)
            await place.wait(settings.job_timeout_s + settings.max_wait_s)
            root = destination.thread_ts or ""
            latest = await services.threads.store.latest(
                destination.team_id, destination.channel_id, root
            )
            turn = latest or turn
        if turn is None:  # the result it was waiting for failed or was cancelled
            await notify(client, destination, messages.NOTHING_MADE_TO_EDIT)
            return
        if files:
            job = attached_edit_job(client, turn, instruction, files, destination, settings)
        else:
            job = edit_job(client, turn, instruction, destination, settings)
        place.become(job)
    except UserInputError as exc:
        await notify(client, destination, exc.text)
        return
    finally:
        place.leave()  # a no-op once the place is the job's
    try:
        await submit(services, client, job, settings)
    finally:
        if services.jobs.get(job.id) is None:  # refused, failed or over: nobody waits for it
            services.threads.settled(job)


async def generate(
    services: Services,
    client: AsyncWebClient,
    text: str,
    destination: Destination,
    settings: Settings,
    *,
    source: Source,
    files: list[dict[str, Any]],
    bot_user_id: str | None,
) -> None:
    """A new request from a mention or a DM (``/imagine``'s grammar); attached files are its
    input images."""
    try:
        parsed = parse_command_text(
            text,
            max_images=settings.max_images,
            drop_user_ids=(bot_user_id,) if bot_user_id else (),
        )
        if parsed.kind == "usage":
            await notify(client, destination, await _usage(services, destination, settings))
            return
        if parsed.kind != "generate":
            ids = (bot_user_id,) if bot_user_id else ()
            bare = files and not drop_mentions(text, ids).strip()  # images, no words
            answer = messages.images_without_words(source == "dm") if bare else _help(settings)
            await notify(client, destination, answer)
            return
        job = new_job(
            parsed.prompt,
            parsed.options,
            destination,
            settings,
            source=source,
            client=client,
            files=files,
        )
    except UserInputError as exc:
        await notify(client, destination, exc.text)
        return
    await submit(services, client, job, settings)


async def submit(services: Services, client: AsyncWebClient, job: Job, settings: Settings) -> None:
    """Queue ``job`` (``settings``: the request's effective settings); tell the person when it
    waits in line or is refused."""
    position, text = await enqueue(services, job, settings)
    if position != 0:  # it started: the hourglass reaction says so
        await notify(client, job.destination, text, ack_blocks(job, position, text))


def _help(settings: Settings) -> str:
    return messages.usage(settings.max_images, settings.prompt_max_chars)


async def _usage(services: Services, destination: Destination, settings: Settings) -> str:
    return await usage_reply(
        services.store,
        settings,
        team_id=destination.team_id,
        user_id=destination.user_id,
    )


DM_SUBTYPES = (None, "file_share")
# a thread reply also sent to the channel ("Also send to #channel") is a person's new post too
MENTION_SUBTYPES = (*DM_SUBTYPES, "thread_broadcast")


def is_from_a_person(
    event: dict, bot_user_id: str | None, *, subtypes: tuple[str | None, ...] = DM_SUBTYPES
) -> bool:
    """True for a person's new message or mention (plain or with files; in a channel,
    ``subtypes=MENTION_SUBTYPES`` also takes thread replies sent to the channel); False for
    edits (a ``subtype``, or an ``edited`` mark), deletions, other subtypes, bots (``bot_id``:
    no loops with other apps) and the app itself (platform.md, "DMs and the Messages tab")."""
    if event.get("subtype") not in subtypes or event.get("bot_id") or event.get("edited"):
        return False
    user = event.get("user")
    return bool(user) and user != bot_user_id
