"""Regenerate for edits, variations and requests with people's images (issue #8):
``regenerate_keys.continues``.

A Regenerate button of such a result runs the same request from the same image(s) again; this
column keeps what it starts from (:class:`bot.regenerate.Continuation`). ``NULL`` for a plain
request, as every existing row is.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``regenerate_keys.continues`` (``NULL`` for every existing row)."""
    with op.batch_alter_table("regenerate_keys") as batch:
        batch.add_column(sa.Column("continues", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop ``regenerate_keys.continues``."""
    with op.batch_alter_table("regenerate_keys") as batch:
        batch.drop_column("continues")
