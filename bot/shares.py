"""Where an uploaded file landed: the ``ts`` of the message that shares it in a channel.

``files.completeUploadExternal`` answers with the files, not the message, and sharing finishes
asynchronously: the message's ``ts`` appears a moment later in ``files.info`` →
``file.shares.public`` (or ``.private``) ``[channel][0].ts`` (platform.md, "Where a result
lives"). Needs the ``files:read`` scope.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

FIRST_DELAY_S = 0.2
MAX_DELAY_S = 2.0


def ts_in_shares(file: dict[str, Any], channel_id: str) -> str | None:
    """The ``ts`` of the first share of ``file`` (a ``files.info`` ``file`` object) in
    ``channel_id``, from ``shares.public`` or ``shares.private``; ``None`` when not shared
    there (yet)."""
    shares = file.get("shares")
    if not isinstance(shares, dict):
        return None
    for visibility in ("public", "private"):
        places = shares.get(visibility)
        entries = places.get(channel_id) if isinstance(places, dict) else None
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            ts = entries[0].get("ts")
            if isinstance(ts, str) and ts:
                return ts
    return None


async def share_ts(
    client: AsyncWebClient, file_id: str, channel_id: str, *, timeout_s: float = 10.0
) -> str | None:
    """The ``ts`` of the message sharing ``file_id`` in ``channel_id``, polling ``files.info``
    with exponential backoff (0.2 s doubling up to 2 s) until it appears or ``timeout_s``
    seconds passed. Returns ``None`` when it is unknown in time or Slack refuses
    (``file_not_found``, ``missing_scope``: logged); never raises for Slack errors."""
    deadline = time.monotonic() + timeout_s
    delay = FIRST_DELAY_S
    while True:
        try:
            response = await client.files_info(file=file_id)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("files.info %s failed: %s", file_id, error)
            if error not in ("ratelimited", "internal_error", "fatal_error"):
                return None
        else:
            file = response.get("file")
            ts = ts_in_shares(file, channel_id) if isinstance(file, dict) else None
            if ts:
                return ts
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            log.info("file %s not shared in %s within %.1fs", file_id, channel_id, timeout_s)
            return None
        await asyncio.sleep(min(delay, remaining))
        delay = min(delay * 2, MAX_DELAY_S)
