"""Conversations (issue #8): the turns of each thread, and each generation's parent.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLACK_ID = 32


def upgrade() -> None:
    """Create ``conversation_turns`` (:mod:`bot.store.conversation_rows`) and add the nullable
    ``generations.parent_id`` (the job an edit or variation started from)."""
    op.create_table(
        "conversation_turns",
        sa.Column("job_id", sa.String(64), primary_key=True),
        sa.Column("team_id", sa.String(SLACK_ID), nullable=False),
        sa.Column("channel_id", sa.String(SLACK_ID), nullable=False),
        sa.Column("thread_ts", sa.String(SLACK_ID), nullable=True),
        sa.Column("message_ts", sa.String(SLACK_ID), nullable=True),
        sa.Column("parent_id", sa.String(64), nullable=True),
        sa.Column("user_id", sa.String(SLACK_ID), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("user_prompt", sa.Text(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_conversation_turns_thread",
        "conversation_turns",
        ["team_id", "channel_id", "thread_ts", "created_at"],
    )
    op.create_index("ix_conversation_turns_created", "conversation_turns", ["created_at"])
    with op.batch_alter_table("generations") as batch:
        batch.add_column(sa.Column("parent_id", sa.String(64), nullable=True))


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    with op.batch_alter_table("generations") as batch:
        batch.drop_column("parent_id")
    op.drop_index("ix_conversation_turns_created", table_name="conversation_turns")
    op.drop_index("ix_conversation_turns_thread", table_name="conversation_turns")
    op.drop_table("conversation_turns")
