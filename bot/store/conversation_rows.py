"""The conversation table (issue #8), as a SQLAlchemy 2 typed ORM class on the store's
:class:`bot.store.models.Base`.

:class:`TurnRow` (``conversation_turns``): one row per delivered result, i.e. one turn of the
conversation in a thread. A thread is ``(team_id, channel_id, thread_ts)``, ``thread_ts`` being
the thread's root message: the message the result replied to, or, for a result posted at a
channel's top level, the result's own message, whose ts is learnt a moment after the upload
(:mod:`bot.shares`); until then ``thread_ts`` and ``message_ts`` are ``NULL`` ("pending").
``images`` holds, per image in order, its Slack file id, the OpenAI response id that drew it
(``None`` for the Images API) and its revised prompt. ``actions_ts`` is, for a top-level result,
the message with its actions posted under the images (a reply in its thread refines the result
too; migration ``0010``). Rows expire after
``CONVERSATION_RETENTION_DAYS`` (OpenAI keeps stored responses 30 days).

Schema changes go through Alembic (migration ``0006``), never ``create_all``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import SLACK_ID, Base


class TurnRow(Base):
    """One result in a thread (see the module docstring)."""

    __tablename__ = "conversation_turns"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID))
    thread_ts: Mapped[str | None] = mapped_column(String(SLACK_ID))
    message_ts: Mapped[str | None] = mapped_column(String(SLACK_ID))
    actions_ts: Mapped[str | None] = mapped_column(String(SLACK_ID))  # migration 0010
    parent_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(SLACK_ID))
    source: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(64))
    user_prompt: Mapped[str] = mapped_column(Text)
    prompt: Mapped[str] = mapped_column(Text)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    images: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_conversation_turns_thread", "team_id", "channel_id", "thread_ts", "created_at"),
        Index("ix_conversation_turns_created", "created_at"),
        Index("ix_conversation_turns_actions", "team_id", "channel_id", "actions_ts"),
    )
