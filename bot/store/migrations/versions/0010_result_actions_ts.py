"""A reply in the thread of a result's actions message refines it (issue #8):
``conversation_turns.actions_ts``.

A result posted at a channel's (or a DM's) top level is two messages: the images, and under
them the message with its Regenerate, Edit… and Variations actions. People reply in the thread
of either; this column keeps the second one's ts (``NULL`` for results posted in a thread,
whose actions share the thread, and for every existing row).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``conversation_turns.actions_ts`` and its index."""
    with op.batch_alter_table("conversation_turns") as batch:
        batch.add_column(sa.Column("actions_ts", sa.String(length=32), nullable=True))
    op.create_index(
        "ix_conversation_turns_actions",
        "conversation_turns",
        ["team_id", "channel_id", "actions_ts"],
    )


def downgrade() -> None:
    """Drop ``conversation_turns.actions_ts`` and its index."""
    op.drop_index("ix_conversation_turns_actions", table_name="conversation_turns")
    with op.batch_alter_table("conversation_turns") as batch:
        batch.drop_column("actions_ts")
