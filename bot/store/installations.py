"""Slack installations and OAuth states, in the app's database (OAuth mode, issue #11).

The tables are slack_sdk's own (``slack_sdk.oauth.installation_store.sqlalchemy`` and
``slack_sdk.oauth.state_store.sqlalchemy``), declared here on :data:`bot.store.models.Base`'s
metadata so that the migration that creates them (``0004``) is checked against them; they are
created by Alembic only, never by ``create_tables``.

- :class:`InstallationStore`: slack_sdk's ``AsyncSQLAlchemyInstallationStore`` (what Bolt's
  ``AsyncInstallationStoreAuthorize`` and the OAuth flow use), reading through a read-only engine
  (no SQLite write lock for a lookup), plus what Imagine needs beyond it: the installation that
  serves a job's workspace (:meth:`InstallationStore.for_team`), forgetting a workspace on
  ``app_uninstalled`` (:meth:`InstallationStore.forget`) and dropping revoked user tokens.
- :class:`OAuthStateStore`: slack_sdk's ``AsyncSQLAlchemyOAuthStateStore`` whose ``consume`` is a
  single ``DELETE``, so that a state is accepted once even when two instances race on it.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from slack_sdk.oauth.state_store.sqlalchemy import (
    AsyncSQLAlchemyOAuthStateStore,
    SQLAlchemyOAuthStateStore,
)
from sqlalchemy import and_, delete, desc, or_, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.models import Base

log = logging.getLogger(__name__)

INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    Base.metadata, AsyncSQLAlchemyInstallationStore.default_installations_table_name
)
BOTS = SQLAlchemyInstallationStore.build_bots_table(
    Base.metadata, AsyncSQLAlchemyInstallationStore.default_bots_table_name
)
STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    Base.metadata, AsyncSQLAlchemyOAuthStateStore.default_table_name
)
_USER_TOKEN_FIELDS = ("user_token", "user_refresh_token", "user_token_expires_at", "user_scopes")


def _use_our_tables(store: AsyncSQLAlchemyInstallationStore) -> None:
    store.metadata = Base.metadata
    store.installations = INSTALLATIONS
    store.bots = BOTS


class InstallationStore(AsyncSQLAlchemyInstallationStore):
    """Installations of the app with client id ``client_id``, on ``engine`` (the store's).

    Saves and deletes run on ``engine``; lookups on a read-only view of it. Raises what
    SQLAlchemy raises when the database fails.
    """

    def __init__(self, client_id: str, engine: AsyncEngine) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        _use_our_tables(self)
        self._reader = AsyncSQLAlchemyInstallationStore(
            client_id=client_id,
            engine=engine.execution_options(imagine_read_only=True),
            logger=log,
        )
        _use_our_tables(self._reader)

    async def create_tables(self) -> None:
        """Refused: the tables are created by the Alembic migration ``0004``."""
        raise NotImplementedError("the tables are created by Alembic (bot/store/migrations)")

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Any:
        """slack_sdk's lookup, on the read-only engine."""
        return await self._reader.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """slack_sdk's lookup, on the read-only engine."""
        return await self._reader.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )

    async def for_team(self, team_id: str, enterprise_id: str | None = None) -> Installation | None:
        """The newest installation with a bot token that serves workspace ``team_id``: its own
        (whatever org it belongs to), else the org-wide installation of ``enterprise_id``
        (Enterprise Grid); ``None`` when there is none."""
        c = INSTALLATIONS.c
        own = c.team_id == team_id
        org_wide = and_(
            c.enterprise_id == enterprise_id, c.team_id.is_(None), c.is_enterprise_install
        )
        where = or_(own, org_wide) if enterprise_id else own
        query = (
            INSTALLATIONS.select()
            .where(c.client_id == self.client_id, c.bot_token.is_not(None), where)
            # its own installation first, then the newest
            .order_by(desc(c.team_id.is_not(None)), desc(c.installed_at), desc(c.id))
            .limit(1)
        )
        async with self._reader.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else SQLAlchemyInstallationStore.build_installation_entity(row)

    async def forget(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool
    ) -> int:
        """Delete every installation and bot of a workspace (``team_id``, whatever its org), or
        of an org-wide installation (``is_enterprise_install`` or no ``team_id``: the rows of
        ``enterprise_id`` without a team), on ``app_uninstalled`` or a revoked bot token.
        Returns how many installation rows were deleted."""
        if is_enterprise_install or not team_id:
            if not enterprise_id:
                return 0
            i_where = and_(
                INSTALLATIONS.c.enterprise_id == enterprise_id, INSTALLATIONS.c.team_id.is_(None)
            )
            b_where = and_(BOTS.c.enterprise_id == enterprise_id, BOTS.c.team_id.is_(None))
        else:
            i_where, b_where = INSTALLATIONS.c.team_id == team_id, BOTS.c.team_id == team_id
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(INSTALLATIONS).where(INSTALLATIONS.c.client_id == self.client_id, i_where)
            )
            await conn.execute(delete(BOTS).where(BOTS.c.client_id == self.client_id, b_where))
        return int(result.rowcount or 0)

    async def drop_user_tokens(
        self, *, enterprise_id: str | None, team_id: str | None, user_ids: list[str]
    ) -> None:
        """Forget the user tokens of ``user_ids`` (``tokens_revoked``'s ``tokens.oauth``),
        keeping their rows' bot tokens: Imagine asks for no user scopes, so the installer's row
        is also the workspace's bot installation."""
        if not user_ids:
            return
        c = INSTALLATIONS.c
        team = c.team_id == team_id if team_id else c.team_id.is_(None)
        async with self.engine.begin() as conn:
            await conn.execute(
                update(INSTALLATIONS)
                .where(
                    c.client_id == self.client_id,
                    c.enterprise_id == enterprise_id,
                    team,
                    c.user_id.in_(user_ids),
                )
                .values(dict.fromkeys(_USER_TOKEN_FIELDS))
            )


class OAuthStateStore(AsyncSQLAlchemyOAuthStateStore):
    """OAuth ``state`` values, each valid for ``expiration_seconds`` and accepted once."""

    def __init__(self, expiration_seconds: int, engine: AsyncEngine) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine, logger=log)
        self.metadata = Base.metadata
        self.oauth_states = STATES

    async def create_tables(self) -> None:
        """Refused: the table is created by the Alembic migration ``0004``."""
        raise NotImplementedError("the tables are created by Alembic (bot/store/migrations)")

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        """A new random state (a UUID), stored with its expiry; expired ones are swept."""
        state = await super().async_issue(*args, **kwargs)
        async with self.engine.begin() as conn:
            await conn.execute(delete(STATES).where(STATES.c.expire_at <= _naive_utc_now()))
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state that was issued and has not expired; False for an unknown,
        expired or already used one (one ``DELETE``: of two racing requests only one wins)."""
        if not state:
            return False
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(STATES).where(STATES.c.state == state, STATES.c.expire_at > _naive_utc_now())
            )
        return bool(result.rowcount)


def _naive_utc_now() -> datetime:
    # slack_sdk's tables hold naive UTC times (sqlalchemy_utils.normalize_datetime_for_db).
    return datetime.fromtimestamp(time.time(), tz=UTC).replace(tzinfo=None)


__all__ = ["BOTS", "INSTALLATIONS", "STATES", "InstallationStore", "OAuthStateStore"]
