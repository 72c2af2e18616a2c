"""The "Generate images" step's outputs: what a later step in the workflow can use.

:data:`OUTPUT_TYPES` is the contract with ``manifest.yml`` (``functions.generate_images
.output_parameters``; a test keeps them equal). The message's ``ts`` is learned from
``files.info`` shares (:func:`bot.shares.share_ts`, platform.md "Where a result lives") and its
link from ``chat.getPermalink``; both are called with the bot token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.jobs import Job, JobResult
from bot.shares import share_ts

log = logging.getLogger(__name__)

SHARE_TIMEOUT_S = 15.0

OUTPUT_TYPES: dict[str, str] = {
    "revised_prompt": "string",
    "permalink": "string",
    "message_ts": "slack#/types/message_ts",
    "message_context": "slack#/types/message_context",
    "image_count": "integer",
    "request_id": "string",
    "created_at": "slack#/types/timestamp",
    "estimated_cost_usd": "number",
}


@dataclass(frozen=True)
class Accounting:
    """What the history recorded for the job: when it was asked (UTC) and its estimated cost
    in USD."""

    created_at: datetime
    cost_usd: float


async def build_outputs(
    client: AsyncWebClient,
    job: Job,
    result: JobResult,
    accounting: Accounting,
    *,
    share_timeout_s: float = SHARE_TIMEOUT_S,
) -> dict[str, Any]:
    """The ``outputs`` of ``functions.completeSuccess`` for a delivered job (``result.ok``).

    ``client`` carries the bot token. When the message's ``ts`` is not known within
    ``share_timeout_s`` seconds, ``message_ts`` and ``message_context`` are left out (they are
    optional in the manifest) and ``permalink`` links to the first file instead.
    """
    channel_id = job.destination.channel_id
    generation = result.generation
    revised = [image.revised_prompt for image in generation.images] if generation else []
    outputs: dict[str, Any] = {
        "revised_prompt": "\n".join(dict.fromkeys(revised)) or job.request.prompt,
        "image_count": len(revised),
        "request_id": job.id,
        "created_at": int(accounting.created_at.timestamp()),
        "estimated_cost_usd": round(accounting.cost_usd, 6),
    }
    first_file = result.file_ids[0] if result.file_ids else None
    ts = (
        await share_ts(client, first_file, channel_id, timeout_s=share_timeout_s)
        if first_file
        else None
    )
    permalink = await _message_link(client, channel_id, ts) if ts else None
    if ts:
        outputs["message_ts"] = ts
        outputs["message_context"] = {"channel_id": channel_id, "message_ts": ts}
    if permalink is None and first_file:
        permalink = await _file_link(client, first_file)
    outputs["permalink"] = permalink or ""
    return outputs


async def _message_link(client: AsyncWebClient, channel_id: str, ts: str) -> str | None:
    """``chat.getPermalink`` of the message; ``None`` (logged) when Slack refuses."""
    try:
        response = await client.chat_getPermalink(channel=channel_id, message_ts=ts)
    except SlackApiError as exc:
        log.warning("chat.getPermalink failed: %s", exc.response.get("error"))
        return None
    link = response.get("permalink")
    return link if isinstance(link, str) and link else None


async def _file_link(client: AsyncWebClient, file_id: str) -> str | None:
    """The file's own ``permalink`` (``files.info``); ``None`` (logged) when Slack refuses."""
    try:
        response = await client.files_info(file=file_id)
    except SlackApiError as exc:
        log.warning("files.info failed: %s", exc.response.get("error"))
        return None
    file = response.get("file")
    link = file.get("permalink") if isinstance(file, dict) else None
    return link if isinstance(link, str) and link else None
