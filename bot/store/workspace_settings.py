"""Per-workspace settings in the database: each scope's overrides and the history of changes.

Reads go through a small pool of their own (:data:`READER_POOL_SIZE` connections): they are on
the ack path of every request, and must not wait for a connection behind the pipeline's writers
(on SQLite those hold their connections while queueing for the write lock; WAL lets readers
read meanwhile).

A *scope* is ``team:<team_id>`` (a workspace) or ``enterprise:<enterprise_id>`` (an Enterprise
Grid organisation, for org-wide installs); :func:`scopes_of` gives the scopes of a request, the
organisation's first, so that a workspace's own values win over its organisation's. Reading a
request's overrides is one primary-key lookup; saving is one transaction that updates the row and
appends to the history, so every instance on the database sees a change on its next read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import database
from bot.store.quota import as_utc
from bot.store.workspace_models import SettingsChangeRow, WorkspaceSettingsRow

READER_POOL_SIZE = 2
READER_POOL_OVERFLOW = 4
S = cast(Table, WorkspaceSettingsRow.__table__)
H = cast(Table, SettingsChangeRow.__table__)


def team_scope(team_id: str) -> str:
    """The scope of one workspace."""
    return f"team:{team_id}"


def enterprise_scope(enterprise_id: str) -> str:
    """The scope of an Enterprise Grid organisation (org-wide installs)."""
    return f"enterprise:{enterprise_id}"


def scopes_of(team_id: str | None, enterprise_id: str | None) -> list[str]:
    """The scopes whose overrides apply to a request, weakest first: the organisation (when
    ``enterprise_id`` is given), then the workspace (when ``team_id`` is given)."""
    scopes = [enterprise_scope(enterprise_id)] if enterprise_id else []
    return scopes + ([team_scope(team_id)] if team_id else [])


@dataclass(frozen=True)
class SettingsChange:
    """One saved change: ``user_id`` changed ``changes`` (``{field: (old, new)}``) of ``scope``
    at ``changed_at`` (aware UTC)."""

    scope: str
    user_id: str
    changed_at: datetime
    changes: dict[str, tuple[Any, Any]]


class WorkspaceSettingsStore:
    """Reads and writes the ``workspace_settings`` and ``settings_changes`` tables of
    ``engine``'s database (migrated by the store's Alembic migrations). Call :meth:`close`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._own_reader: AsyncEngine | None = None
        if engine.url.database not in (None, "", ":memory:"):
            self._own_reader = database.create_engine(
                engine.url.render_as_string(hide_password=False),
                pool_size=READER_POOL_SIZE,
                max_overflow=READER_POOL_OVERFLOW,
            )
        reader = self._own_reader or engine
        self._reader = reader.execution_options(imagine_read_only=True)

    async def close(self) -> None:
        """Close the readers' connections (the writer's engine is the store's)."""
        if self._own_reader is not None:
            await self._own_reader.dispose()

    async def overrides(self, scopes: list[str]) -> list[dict[str, Any]]:
        """The stored overrides of each of ``scopes``, in the same order (``{}`` for a scope
        that has set nothing). One indexed read."""
        if not scopes:
            return []
        async with self._reader.connect() as conn:
            rows = (
                await conn.execute(select(S.c.scope, S.c.overrides).where(S.c.scope.in_(scopes)))
            ).all()
        found = {row.scope: dict(row.overrides or {}) for row in rows}
        return [found.get(scope, {}) for scope in scopes]

    async def save(
        self,
        scope: str,
        user_id: str,
        changes: dict[str, tuple[Any, Any]],
        *,
        now: datetime | None = None,
    ) -> SettingsChange | None:
        """Set each field of ``changes`` (``{field: (old, new)}``) to its new value in
        ``scope``'s overrides and record the change; ``None`` (nothing written) when ``changes``
        is empty. One transaction: a concurrent save of other fields is kept."""
        if not changes:
            return None
        now = as_utc(now)
        async with self._engine.begin() as conn:
            # Create the row if missing, then lock it: concurrent first saves of one scope
            # queue on the lock instead of both inserting (PostgreSQL); SQLite's BEGIN
            # IMMEDIATE already excludes other writers.
            dialect_insert = (
                postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            )
            await conn.execute(
                dialect_insert(S)
                .values(scope=scope, overrides={}, updated_at=now, updated_by=user_id)
                .on_conflict_do_nothing(index_elements=[S.c.scope])
            )
            row = (
                await conn.execute(
                    select(S.c.overrides).where(S.c.scope == scope).with_for_update()
                )
            ).one()
            merged = dict(row.overrides or {})
            merged.update({name: new for name, (_, new) in changes.items()})
            values = {"overrides": merged, "updated_at": now, "updated_by": user_id}
            await conn.execute(update(S).where(S.c.scope == scope).values(**values))
            recorded = {name: [old, new] for name, (old, new) in changes.items()}
            await conn.execute(
                insert(H).values(scope=scope, user_id=user_id, changed_at=now, changes=recorded)
            )
        return SettingsChange(scope, user_id, now, dict(changes))

    async def history(self, scopes: list[str], limit: int = 5) -> list[SettingsChange]:
        """The last ``limit`` changes of ``scopes``, newest first."""
        if not scopes:
            return []
        async with self._reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(H)
                    .where(H.c.scope.in_(scopes))
                    .order_by(H.c.changed_at.desc(), H.c.id.desc())
                    .limit(limit)
                )
            ).all()
        return [
            SettingsChange(
                row.scope,
                row.user_id,
                row.changed_at,
                {name: (pair[0], pair[1]) for name, pair in (row.changes or {}).items()},
            )
            for row in rows
        ]
