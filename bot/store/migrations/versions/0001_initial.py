"""Initial schema: generations, usage counters, Regenerate keys, instances.

Revision ID: 0001
Revises:
Create Date: 2026-09-14
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLACK_ID = 32


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the four tables of :mod:`bot.store.models` and their indexes."""
    op.create_table(
        "generations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("team_id", sa.String(SLACK_ID), nullable=False),
        sa.Column("channel_id", sa.String(SLACK_ID), nullable=False),
        sa.Column("thread_ts", sa.String(SLACK_ID), nullable=True),
        sa.Column("user_id", sa.String(SLACK_ID), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("user_prompt", sa.Text(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("revised_prompts", sa.JSON(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("api", sa.String(16), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("error_code", sa.String(128), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("generated", sa.Integer(), nullable=True),
        sa.Column("images", sa.Integer(), nullable=False),
        sa.Column("cost_micro", sa.BigInteger(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("total_tokens", sa.Integer(), nullable=True),
        sa.Column("queued_at", _utc(), nullable=False),
        sa.Column("started_at", _utc(), nullable=True),
        sa.Column("finished_at", _utc(), nullable=True),
        sa.Column("instance_id", sa.String(32), nullable=False),
    )
    op.create_index(
        "ix_generations_team_user_queued", "generations", ["team_id", "user_id", "queued_at"]
    )
    op.create_index("ix_generations_team_queued", "generations", ["team_id", "queued_at"])
    op.create_index("ix_generations_status_instance", "generations", ["status", "instance_id"])
    op.create_table(
        "usage_counters",
        sa.Column("team_id", sa.String(SLACK_ID), primary_key=True),
        sa.Column("subject", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("images", sa.Integer(), nullable=False),
        sa.Column("cost_micro", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "regenerate_keys",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("team_id", sa.String(SLACK_ID), nullable=False),
        sa.Column("channel_id", sa.String(SLACK_ID), nullable=False),
        sa.Column("thread_ts", sa.String(SLACK_ID), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
    )
    op.create_table(
        "instances",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("heartbeat_at", _utc(), nullable=False),
    )


def downgrade() -> None:
    """Drop everything :func:`upgrade` created."""
    op.drop_table("instances")
    op.drop_table("regenerate_keys")
    op.drop_table("usage_counters")
    op.drop_index("ix_generations_status_instance", table_name="generations")
    op.drop_index("ix_generations_team_queued", table_name="generations")
    op.drop_index("ix_generations_team_user_queued", table_name="generations")
    op.drop_table("generations")
