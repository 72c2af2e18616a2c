"""Putting images and messages into Slack.

- :func:`upload_images`: all images of a request in one ``files_upload_v2`` call, so they form
  one message whose ``initial_comment`` is the caption (``files.upload`` is retired; platform.md,
  "Uploading files"). A public channel the bot is not in is joined (``channels:join``); a private
  one or a DM without the bot raises :class:`bot.errors.ChannelUnreachableError`.
- :func:`notify`: an ephemeral message to the person who asked, through ``response_url`` when
  there is one, else ``chat.postEphemeral``.
- :class:`Progress`: reactions on the source message while a job runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InteractiveElement,
    SectionBlock,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import messages
from bot.errors import ChannelUnreachableError, DeliveryError
from bot.jobs import Destination
from bot.openai.backends import GeneratedImage

log = logging.getLogger(__name__)

ALT_TEXT_MAX = 1000  # files.getUploadURLExternal alt_txt limit (platform.md)
TITLE_MAX = 200
UNREACHABLE = frozenset(
    {"channel_not_found", "is_archived", "not_in_channel", "method_not_supported_for_channel_type"}
)
REGENERATE_ACTION_ID = "imagine_regenerate"


def _slug(text: str, words: int = 6) -> str:
    slug = "-".join(re.findall(r"[a-z0-9]+", text.lower())[:words])
    return slug[:60] or "image"


def file_uploads(images: list[GeneratedImage], user_prompt: str) -> list[dict[str, object]]:
    """The ``file_uploads`` argument of ``files_upload_v2``: a filename with the right extension,
    a title, and ``alt_txt`` = the image's own revised prompt (at most 1000 characters)."""
    slug = _slug(user_prompt)
    total = len(images)
    uploads: list[dict[str, object]] = []
    for index, image in enumerate(images, 1):
        extension = "jpg" if image.output_format == "jpeg" else image.output_format
        suffix = f"-{index}" if total > 1 else ""
        title = image.revised_prompt if total == 1 else f"{index}/{total}: {image.revised_prompt}"
        uploads.append(
            {
                "content": image.data,
                "filename": f"imagine-{slug}{suffix}.{extension}",
                "title": title[:TITLE_MAX],
                "alt_txt": image.revised_prompt[:ALT_TEXT_MAX],
            }
        )
    return uploads


async def upload_images(
    client: AsyncWebClient,
    destination: Destination,
    images: list[GeneratedImage],
    *,
    caption: str,
    user_prompt: str,
) -> list[str]:
    """Upload ``images`` as one message in ``destination`` (its thread when ``thread_ts``).

    Returns the uploaded files' ids, in the order of ``images`` (from the
    ``files.completeUploadExternal`` answer: Slack answers with the files, not the message, whose
    ts appears later; :mod:`bot.shares`). Raises :class:`ChannelUnreachableError` when the bot is
    not in a channel it cannot join, and :class:`DeliveryError` for any other refusal (after
    slack_sdk's own retries of 429/5xx).
    """
    uploads = file_uploads(images, user_prompt)
    file_ids: list[str] = []

    async def attempt() -> None:
        response = await client.files_upload_v2(
            file_uploads=uploads,
            channel=destination.channel_id,
            initial_comment=caption,
            thread_ts=destination.thread_ts,
        )
        files = response.get("files") or []
        file_ids[:] = [str(f["id"]) for f in files if isinstance(f, dict) and f.get("id")]

    try:
        await _call(attempt, destination.channel_id)
    except ChannelUnreachableError as exc:
        if exc.error != "not_in_channel":
            raise
        await join_channel(client, destination.channel_id)
        await _call(attempt, destination.channel_id)
    return file_ids


async def _call(attempt: Callable[[], Awaitable[None]], channel_id: str) -> None:
    """Run one Slack call, turning its failure into a :class:`DeliveryError`."""
    try:
        await attempt()
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error"))
        if error in UNREACHABLE:
            raise ChannelUnreachableError(error, channel_id=channel_id) from None
        raise DeliveryError(error, channel_id=channel_id) from None
    except SlackRequestError:
        raise DeliveryError("upload_failed", channel_id=channel_id) from None


async def join_channel(client: AsyncWebClient, channel_id: str) -> None:
    """Join a public channel (``conversations.join``, scope ``channels:join``).

    Raises :class:`ChannelUnreachableError` when Slack refuses (private channel, DM, archived).
    """
    try:
        await client.conversations_join(channel=channel_id)
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error"))
        log.info("cannot join channel=%s error=%s", channel_id, error)
        raise ChannelUnreachableError(
            "is_archived" if error == "is_archived" else "channel_not_found", channel_id=channel_id
        ) from None


async def notify(
    client: AsyncWebClient,
    destination: Destination,
    text: str,
    blocks: Sequence[Block | dict[str, Any]] | None = None,
) -> bool:
    """Tell the requester ``text`` (and ``blocks``, if given) ephemerally. Uses ``response_url``
    when the destination has one (it works even where the bot is not a member), else
    ``chat.postEphemeral``. Returns whether Slack took the message; a failure is logged, never
    raised: there is nobody left to tell."""
    if destination.response_url:
        try:
            webhook = AsyncWebhookClient(destination.response_url, timeout=10)
            response = await webhook.send(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
            if response.status_code == 200:
                return True
            log.warning("response_url answered %s; falling back", response.status_code)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("response_url failed (%s); falling back to chat.postEphemeral", exc)
    try:
        await client.chat_postEphemeral(
            channel=destination.channel_id,
            user=destination.user_id,
            text=text,
            blocks=blocks,
            thread_ts=destination.thread_ts,
        )
    except SlackApiError as exc:
        log.error(
            "could not tell user=%s in channel=%s: %s",
            destination.user_id,
            destination.channel_id,
            exc.response.get("error"),
        )
        return False
    return True


def regenerate_blocks(
    text: str, key: str | None, extra: Sequence[InteractiveElement] = ()
) -> list[Block]:
    """Block Kit: ``text`` and a Regenerate button whose ``value`` is the short ``key`` (Slack
    caps button values at 2000 characters; platform.md, "Modals"; no button when ``key`` is
    ``None``), followed by ``extra`` elements (the per-image actions of
    :mod:`bot.result_actions`)."""
    buttons: list[InteractiveElement] = []
    if key is not None:
        buttons.append(
            ButtonElement(
                text=":arrows_counterclockwise: Regenerate",
                action_id=REGENERATE_ACTION_ID,
                value=key,
            )
        )
    elements = [*buttons, *extra]
    if not elements:  # an actions block needs an element (Block Kit reference, "Actions")
        return [SectionBlock(text=text)]
    return [SectionBlock(text=text), ActionsBlock(elements=elements)]


async def post_regenerate_button(
    client: AsyncWebClient,
    destination: Destination,
    key: str | None,
    extra: Sequence[InteractiveElement] = (),
) -> str | None:
    """Post a small message with a Regenerate button (unless ``key`` is ``None``) and ``extra``
    actions under the images (in their thread); nothing when there is no action at all.
    Returns the message's ts, ``None`` when nothing was posted."""
    if key is None and not extra:
        return None
    blocks = regenerate_blocks(messages.REGENERATE_PROMPT, key, extra)
    try:
        answer = await client.chat_postMessage(
            channel=destination.channel_id,
            thread_ts=destination.thread_ts,
            text=messages.REGENERATE_PROMPT,
            blocks=blocks,
        )
    except SlackApiError as exc:
        log.warning("could not post the Regenerate button: %s", exc.response.get("error"))
        return None
    ts = answer.get("ts")
    return ts if isinstance(ts, str) else None


class Progress:
    """Reactions on the source message: an hourglass while working, then a check mark or a
    warning (scope ``reactions:write``). Cosmetic: failures are logged at WARNING, not raised."""

    WORKING = "hourglass_flowing_sand"
    DONE = "white_check_mark"
    FAILED = "warning"

    def __init__(self, client: AsyncWebClient, destination: Destination) -> None:
        self._client = client
        self._channel = destination.channel_id
        self._ts = destination.source_ts

    async def start(self) -> None:
        """Add the hourglass; in a public channel the bot is not in yet, join it first."""
        if await self._react("reactions_add", self.WORKING) == "not_in_channel":
            try:
                await join_channel(self._client, self._channel)
            except ChannelUnreachableError:
                return
            await self._react("reactions_add", self.WORKING)

    async def stop(self) -> None:
        """Take the hourglass away (the request was cancelled)."""
        await self._react("reactions_remove", self.WORKING)

    async def finish(self, ok: bool) -> None:
        """Replace the hourglass by a check mark (``ok``) or a warning."""
        await self._react("reactions_remove", self.WORKING)
        await self._react("reactions_add", self.DONE if ok else self.FAILED)

    async def _react(self, method: str, name: str) -> str | None:
        """Call ``method``; return Slack's error code, or ``None`` on success."""
        if not self._ts:
            return None
        try:
            await getattr(self._client, method)(
                channel=self._channel, timestamp=self._ts, name=name
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            log.warning("%s %s failed: %s", method, name, error)
            return error
        return None
