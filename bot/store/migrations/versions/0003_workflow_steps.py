"""Workflow Builder step executions (issue #9).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLACK_ID = 32
EXECUTION_ID = 64


def upgrade() -> None:
    """Create ``workflow_steps`` (bot.store.workflow_models)."""
    op.create_table(
        "workflow_steps",
        sa.Column("execution_id", sa.String(EXECUTION_ID), primary_key=True),
        sa.Column("event_id", sa.String(EXECUTION_ID), nullable=True),
        sa.Column("team_id", sa.String(SLACK_ID), nullable=False),
        sa.Column("job_id", sa.String(64), nullable=True),
        sa.Column("instance_id", sa.String(32), nullable=False),
        sa.Column("execution_token", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_workflow_steps_status_instance", "workflow_steps", ["status", "instance_id"]
    )


def downgrade() -> None:
    """Drop what :func:`upgrade` created."""
    op.drop_index("ix_workflow_steps_status_instance", table_name="workflow_steps")
    op.drop_table("workflow_steps")
