"""Per-workspace settings and their change history (issue #11).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLACK_ID = 32
SCOPE = 64


def upgrade() -> None:
    """Create ``workspace_settings`` and ``settings_changes`` (bot.store.workspace_models)."""
    op.create_table(
        "workspace_settings",
        sa.Column("scope", sa.String(SCOPE), primary_key=True),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(SLACK_ID), nullable=False),
    )
    op.create_table(
        "settings_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(SCOPE), nullable=False),
        sa.Column("user_id", sa.String(SLACK_ID), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_settings_changes_scope_changed", "settings_changes", ["scope", "changed_at"]
    )


def downgrade() -> None:
    """Drop what :func:`upgrade` created."""
    op.drop_index("ix_settings_changes_scope_changed", table_name="settings_changes")
    op.drop_table("settings_changes")
    op.drop_table("workspace_settings")
