"""Tables of the per-workspace settings (issue #11), beside the store's own in
:mod:`bot.store.models` (same ``Base``, so Alembic sees them; created by migration 0002).

- :class:`WorkspaceSettingsRow` (``workspace_settings``): one row per scope, ``team:T…`` for a
  workspace or ``enterprise:E…`` for an Enterprise Grid organisation (org-wide installs), holding
  the overrides ``{field: value}`` of :mod:`bot.workspace.fields`.
- :class:`SettingsChangeRow` (``settings_changes``): the audit trail, one row per saved change:
  who, when, and ``{field: [old, new]}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import SLACK_ID, Base

SCOPE = 64


class WorkspaceSettingsRow(Base):
    """A workspace's (or an organisation's) overrides of the environment settings."""

    __tablename__ = "workspace_settings"

    scope: Mapped[str] = mapped_column(String(SCOPE), primary_key=True)
    overrides: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(SLACK_ID))


class SettingsChangeRow(Base):
    """One saved change of a scope's settings."""

    __tablename__ = "settings_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(SCOPE))
    user_id: Mapped[str] = mapped_column(String(SLACK_ID))
    changed_at: Mapped[datetime]
    changes: Mapped[dict[str, Any]]

    __table_args__ = (Index("ix_settings_changes_scope_changed", "scope", "changed_at"),)
