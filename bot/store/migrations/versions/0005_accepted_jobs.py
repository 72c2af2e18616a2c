"""Accepted requests, kept until they finish, so that a restart resumes them (issue #10).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLACK_ID = 32


def upgrade() -> None:
    """Create ``accepted_jobs`` (bot.store.journal_models)."""
    op.create_table(
        "accepted_jobs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("team_id", sa.String(SLACK_ID), nullable=False),
        sa.Column("user_id", sa.String(SLACK_ID), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("resumable", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("instance_id", sa.String(32), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resumes", sa.Integer(), nullable=False),
    )
    op.create_index("ix_accepted_jobs_instance", "accepted_jobs", ["instance_id", "accepted_at"])


def downgrade() -> None:
    """Drop what :func:`upgrade` created."""
    op.drop_index("ix_accepted_jobs_instance", table_name="accepted_jobs")
    op.drop_table("accepted_jobs")
