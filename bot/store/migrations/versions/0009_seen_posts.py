"""Posts already acted on, shared by instances (issue #8): ``seen_posts``.

A mention arrives as ``app_mention`` and as ``message``, and Slack retries events; behind a
load balancer the copies may reach different instances, and the first to insert the post's key
acts on it (:mod:`bot.store.seen_posts`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``seen_posts``."""
    op.create_table(
        "seen_posts",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    """Drop ``seen_posts``."""
    op.drop_table("seen_posts")
