"""Regenerate keys in the database (:class:`bot.regenerate.RegenerateStore`): a button's short
key, the request it runs again and, for a result that started from images, what it starts
from. Keys survive restarts and are shared by every instance."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.regenerate import Continuation, RegenerateEntry
from bot.request import ImageRequest
from bot.store.models import RegenerateKeyRow
from bot.store.quota import utc_now

log = logging.getLogger(__name__)

R = cast(Table, RegenerateKeyRow.__table__)
KEY_MAX = 32


class RegenerateKeys:
    """Keeps :class:`RegenerateEntry` values under 16-character URL-safe keys on ``engine``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._reader = engine.execution_options(imagine_read_only=True)

    async def put(self, entry: RegenerateEntry) -> str:
        """Store ``entry`` and return its new key."""
        async with self._engine.begin() as conn:
            return await self.put_in(conn, entry, utc_now())

    async def put_in(self, conn: AsyncConnection, entry: RegenerateEntry, now: datetime) -> str:
        """Store ``entry`` inside the caller's transaction ``conn``; return its new key."""
        key = secrets.token_urlsafe(12)
        await conn.execute(
            insert(R).values(
                key=key,
                team_id=entry.team_id,
                channel_id=entry.channel_id,
                thread_ts=entry.thread_ts,
                request=entry.request.to_dict(),
                continues=entry.continues.to_dict() if entry.continues else None,
                created_at=now,
            )
        )
        return key

    async def get(self, key: str) -> RegenerateEntry | None:
        """The entry under ``key``; ``None`` when unknown, or stored by a version of the app
        whose request no longer fits :class:`ImageRequest`."""
        if not key or len(key) > KEY_MAX:
            return None
        async with self._reader.connect() as conn:
            row = (await conn.execute(select(R).where(R.c.key == key))).first()
        if row is None:
            return None
        try:
            request = ImageRequest(**row.request)
            continues = Continuation.from_dict(row.continues) if row.continues else None
        except (TypeError, ValueError):
            log.warning("Regenerate key %s holds a request this version cannot read", key)
            return None
        return RegenerateEntry(
            request=request,
            team_id=row.team_id,
            channel_id=row.channel_id,
            thread_ts=row.thread_ts,
            continues=continues,
        )
