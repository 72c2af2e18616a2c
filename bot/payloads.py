"""Pydantic models of the Slack payloads the listeners read. Only the fields we use are declared;
a payload missing one of them fails validation and the user gets a polite message instead of a
stack trace.

Source: platform.md ("Slash command payload", "Message shortcut payload", "Events", "Modals") and
Slack's reference pages for ``slash commands``, ``message_action``, ``view_submission``,
``block_actions`` and ``app_mention``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SlashCommand(_Payload):
    """A slash command (form-encoded). ``text`` is Slack-escaped; no ``thread_ts`` exists."""

    team_id: str
    channel_id: str
    user_id: str
    command: str
    text: str = ""
    response_url: str | None = None
    trigger_id: str | None = None


class _Id(_Payload):
    id: str


class ShortcutMessage(_Payload):
    """The message a shortcut was used on; ``thread_ts`` is set when it is in a thread."""

    ts: str
    text: str = ""
    thread_ts: str | None = None
    files: list[dict[str, Any]] = Field(default_factory=list)


class MessageAction(_Payload):
    """A message shortcut (``type: message_action``)."""

    callback_id: str
    trigger_id: str
    response_url: str | None = None
    team: _Id
    user: _Id
    channel: _Id
    message: ShortcutMessage

    @property
    def thread_ts(self) -> str:
        """The thread to answer in: the message's thread, or the message itself (never a
        reply's own ts; platform.md)."""
        return self.message.thread_ts or self.message.ts


class ModalContext(_Payload):
    """What a modal remembers in ``private_metadata`` (at most 3000 characters): the preset and
    where its images go."""

    preset: str
    channel_id: str
    thread_ts: str | None = None
    source_ts: str | None = None
    response_url: str | None = None
    files: list[str] | None = None  # the source message's image file ids (issue #8)

    def dump(self) -> str:
        """JSON for ``private_metadata``."""
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def load(cls, raw: str) -> ModalContext | None:
        """Parse ``private_metadata``; ``None`` when it is not ours."""
        try:
            return cls.model_validate_json(raw)
        except (ValidationError, json.JSONDecodeError):
            return None


class AppMention(_Payload):
    """An ``app_mention`` event, or a person's ``message`` event (``message.im``, or
    ``file_share``); ``thread_ts`` is set when it is in a thread; ``files`` are the attached
    files' objects, as Slack sends them (platform.md, "Files from users")."""

    user: str
    channel: str
    ts: str
    text: str = ""
    thread_ts: str | None = None
    team: str | None = None
    files: list[dict[str, Any]] = Field(default_factory=list)


class BlockAction(_Payload):
    """The parts of a ``block_actions`` payload used by the Regenerate, Edit… and Variations
    actions."""

    user: _Id
    team: _Id | None = None
    response_url: str | None = None
    channel: _Id | None = None
    trigger_id: str | None = None
