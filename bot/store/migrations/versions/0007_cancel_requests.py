"""Cancel from any instance (issue #10): ``accepted_jobs.cancel_requested``.

The Cancel button may reach an instance that is not running the request; it sets this flag,
and the instance that runs the request stops it (:mod:`bot.cancel_requests`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``accepted_jobs.cancel_requested`` (false for every existing row)."""
    with op.batch_alter_table("accepted_jobs") as batch:
        batch.add_column(
            sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Drop ``accepted_jobs.cancel_requested``."""
    with op.batch_alter_table("accepted_jobs") as batch:
        batch.drop_column("cancel_requested")
