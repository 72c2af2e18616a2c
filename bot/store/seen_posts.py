"""Posts already acted on, shared by every instance (issue #8, "Dedupe").

A mention in a channel the app is in arrives twice, as ``app_mention`` and as ``message``, and
Slack retries an event it thinks was not acknowledged (platform.md, "Events", "Files from
users"); behind a load balancer the copies may reach different instances. Each instance first
checks its own memory (:class:`bot.dedup.RecentIds`); the first to insert a post's key here
acts on it. Keys are forgotten after :data:`KEEP`, longer than Slack's retries (5 minutes).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import String, Table, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base
from bot.store.quota import as_utc

log = logging.getLogger(__name__)

KEEP = timedelta(hours=1)
PURGE_EVERY_S = 600.0
KEY_MAX = 100


class SeenPostRow(Base):
    """A post some instance acted on: ``key`` is ``team:channel:ts``."""

    __tablename__ = "seen_posts"

    key: Mapped[str] = mapped_column(String(KEY_MAX), primary_key=True)
    seen_at: Mapped[datetime]


S = cast(Table, SeenPostRow.__table__)


class SeenPosts:
    """``await seen.claim(key)`` is True for the first instance to claim ``key``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._purged_at = 0.0

    async def claim(self, key: str, *, now: datetime | None = None) -> bool:
        """Record ``key`` (at most :data:`KEY_MAX` characters); False when an instance recorded
        it within :data:`KEEP`. Database errors propagate (the caller decides)."""
        now = as_utc(now)
        if time.monotonic() - self._purged_at > PURGE_EVERY_S:
            self._purged_at = time.monotonic()
            async with self._engine.begin() as conn:
                await conn.execute(delete(S).where(S.c.seen_at < now - KEEP))
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(S).values(key=key[:KEY_MAX], seen_at=now))
        except IntegrityError:
            return False
        return True
