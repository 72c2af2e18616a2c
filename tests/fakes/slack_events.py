"""Real-shaped Events API payloads for tests: ``message`` events (plain, ``file_share``, in a
DM, edited, deleted, from a bot), ``app_mention`` with or without ``files``, and the
``event_callback`` envelope.

Shapes from bolt-python's tests (``tests/scenario_tests_async/test_message_file_share.py``,
``test_events_assistant.py``, ``test_message_changed.py``) and platform.md ("Files from users",
"DMs and the Messages tab"): a message with files has ``subtype: "file_share"``, ``upload:
false`` and ``files[]``; a DM has ``channel_type: "im"``; an edit is a ``message_changed``
message whose ``message`` is the new version.
"""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

_EVENT_IDS = itertools.count(1)


def _rich_text(text: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "rich_text",
            "block_id": "b1",
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
            ],
        }
    ]


def message_event(
    text: str,
    *,
    ts: str,
    user: str = "U1",
    channel: str = "D1",
    thread_ts: str | None = None,
    files: list[dict[str, Any]] | None = None,
    channel_type: str | None = None,
    team: str = "T1",
) -> dict[str, Any]:
    """A person's ``message`` event; with ``files`` it is a ``file_share`` message.
    ``channel_type`` defaults from the id: ``im`` for ``D…``, ``group`` for ``G…``, else
    ``channel``."""
    event: dict[str, Any] = {
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "team": team,
        "blocks": _rich_text(text),
        "client_msg_id": str(uuid.uuid4()),
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type or _channel_type(channel),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = "UBOT"
    if files:
        event.update(subtype="file_share", files=files, upload=False, display_as_bot=False)
    return event


def app_mention_event(
    text: str,
    *,
    ts: str,
    user: str = "U1",
    channel: str = "C1",
    thread_ts: str | None = None,
    files: list[dict[str, Any]] | None = None,
    team: str = "T1",
) -> dict[str, Any]:
    """An ``app_mention`` event (``text`` should hold ``<@UBOT>``); ``files`` as a mention with
    attachments carries them."""
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": ts,
        "team": team,
        "blocks": _rich_text(text),
        "client_msg_id": str(uuid.uuid4()),
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    if files:
        event.update(files=files, upload=False, display_as_bot=False)
    return event


def message_changed_event(
    new_text: str, *, ts: str, edited_at: str, channel: str = "D1", user: str = "U1"
) -> dict[str, Any]:
    """Slack's event when a person edits their message ``ts`` (hidden, subtype
    ``message_changed``)."""
    return {
        "type": "message",
        "subtype": "message_changed",
        "message": {
            "type": "message",
            "text": new_text,
            "user": user,
            "team": "T1",
            "edited": {"user": user, "ts": edited_at},
            "ts": ts,
        },
        "previous_message": {"type": "message", "text": "before", "user": user, "ts": ts},
        "channel": channel,
        "hidden": True,
        "ts": edited_at,
        "event_ts": edited_at,
        "channel_type": _channel_type(channel),
    }


def message_deleted_event(*, ts: str, deleted_at: str, channel: str = "D1") -> dict[str, Any]:
    """Slack's event when message ``ts`` is deleted (hidden, subtype ``message_deleted``)."""
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "deleted_ts": ts,
        "channel": channel,
        "previous_message": {"type": "message", "text": "gone", "user": "U1", "ts": ts},
        "ts": deleted_at,
        "event_ts": deleted_at,
        "channel_type": _channel_type(channel),
    }


def bot_message_event(text: str, *, ts: str, channel: str = "D1") -> dict[str, Any]:
    """A message the app itself posted, as ``message.im`` delivers it back (``bot_id``)."""
    return {
        "type": "message",
        "subtype": "bot_message",
        "text": text,
        "ts": ts,
        "bot_id": "BBOT",
        "user": "UBOT",
        "channel": channel,
        "event_ts": ts,
        "channel_type": _channel_type(channel),
    }


def event_callback(
    event: dict[str, Any], *, event_id: str | None = None, team_id: str = "T1"
) -> dict[str, Any]:
    """The ``event_callback`` envelope around ``event`` (a fresh ``event_id`` unless given)."""
    return {
        "token": "x",
        "team_id": team_id,
        "api_app_id": "A1",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_EVENT_IDS):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event.get('type')}-{team_id}-{event.get('channel', '')}",
    }


def _channel_type(channel: str) -> str:
    if channel.startswith("D"):
        return "im"
    if channel.startswith("G"):
        return "group"
    return "channel"
