"""Conversation state: which results live in which thread, so that a reply in a result's thread
edits the right image (issue #8).

A thread is ``(team_id, channel_id, thread_ts)``; each delivered result is a :class:`Turn` in it,
with the Slack file id and OpenAI response id of each of its images (the response id is what a
follow-up continues with ``previous_response_id``; the file is the fallback input when OpenAI
no longer has the response). Kept in the database (table ``conversation_turns``,
:mod:`bot.store.conversation_rows`), so it survives restarts and is shared by every instance on
the same database. Turns expire after ``CONVERSATION_RETENTION_DAYS`` (default 30, OpenAI's
storage period for responses): :meth:`ConversationStore.start_cleanup` deletes them
periodically.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.request import ImageRequest
from bot.store.conversation_rows import TurnRow
from bot.store.quota import as_utc, utc_now
from bot.tasks import cancel_and_wait

log = logging.getLogger(__name__)

T = cast(Table, TurnRow.__table__)
CLEANUP_INTERVAL_S = 3600.0


@dataclass(frozen=True)
class TurnImage:
    """One image of a result: its Slack ``file_id``, the OpenAI ``response_id`` that drew it
    (``None`` when unknown, e.g. with the Images API) and the ``revised_prompt``."""

    file_id: str
    response_id: str | None
    revised_prompt: str


@dataclass(frozen=True)
class Turn:
    """A delivered result in a thread. ``thread_ts`` is the thread's root (``None`` until a
    top-level result's own message ts is known); ``message_ts`` the result message's ts when
    known; ``parent_id`` the job it was made from (edits, variations); ``request`` the
    :meth:`bot.request.ImageRequest.to_dict` it ran; ``images`` in the order posted."""

    job_id: str
    team_id: str
    channel_id: str
    thread_ts: str | None
    message_ts: str | None
    parent_id: str | None
    user_id: str
    source: str
    model: str
    user_prompt: str
    prompt: str
    request: dict[str, Any]
    images: list[TurnImage]
    created_at: datetime = field(default_factory=utc_now)

    def image(self, number: int) -> TurnImage | None:
        """Image ``number`` (1-based), ``None`` when there is no such image."""
        return self.images[number - 1] if 1 <= number <= len(self.images) else None

    def image_request(self) -> ImageRequest | None:
        """The request this turn ran, ``None`` when stored by a version that no longer fits."""
        try:
            return ImageRequest(**self.request)
        except TypeError:
            return None


class ConversationStore:
    """Turns by thread, on the store's engine (SQLite or PostgreSQL). ``retention_days`` is
    CONVERSATION_RETENTION_DAYS."""

    def __init__(self, engine: AsyncEngine, *, retention_days: int = 30) -> None:
        self._engine = engine
        self._reader = engine.execution_options(imagine_read_only=True)
        self._retention = timedelta(days=retention_days)
        self._cleanup: asyncio.Task[None] | None = None

    async def record(self, turn: Turn) -> None:
        """Add ``turn`` (a result was delivered). Recording the same job twice keeps the
        first."""
        values = {
            "job_id": turn.job_id,
            "team_id": turn.team_id,
            "channel_id": turn.channel_id,
            "thread_ts": turn.thread_ts,
            "message_ts": turn.message_ts,
            "parent_id": turn.parent_id,
            "user_id": turn.user_id,
            "source": turn.source,
            "model": turn.model,
            "user_prompt": turn.user_prompt,
            "prompt": turn.prompt,
            "request": turn.request,
            "images": [image.__dict__ for image in turn.images],
            "created_at": as_utc(turn.created_at),
        }
        async with self._engine.begin() as conn:
            exists = (
                await conn.execute(select(T.c.job_id).where(T.c.job_id == turn.job_id))
            ).first()
            if exists is None:
                await conn.execute(insert(T).values(**values))

    async def located(self, job_id: str, message_ts: str) -> None:
        """The result of ``job_id`` is the message ``message_ts``; a top-level result becomes
        the root of its own thread."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(T)
                .where(T.c.job_id == job_id)
                .values(message_ts=message_ts, thread_ts=func.coalesce(T.c.thread_ts, message_ts))
            )

    async def actions_posted(self, job_id: str, actions_ts: str) -> None:
        """The actions of ``job_id``'s top-level result were posted as the message
        ``actions_ts``: a reply in its thread refines the result too."""
        async with self._engine.begin() as conn:
            await conn.execute(update(T).where(T.c.job_id == job_id).values(actions_ts=actions_ts))

    async def latest(self, team_id: str, channel_id: str, thread_ts: str) -> Turn | None:
        """The newest turn in the thread rooted at ``thread_ts`` (the result's own message, the
        message it replied to, or its actions message), ``None`` when the thread has no
        (unexpired) result."""
        async with self._reader.connect() as conn:
            row = (
                await conn.execute(
                    select(T)
                    .where(
                        T.c.team_id == team_id,
                        T.c.channel_id == channel_id,
                        or_(T.c.thread_ts == thread_ts, T.c.actions_ts == thread_ts),
                        T.c.created_at >= utc_now() - self._retention,
                    )
                    .order_by(T.c.created_at.desc(), T.c.job_id.desc())
                    .limit(1)
                )
            ).first()
        return None if row is None else _turn(row)

    async def get(self, job_id: str) -> Turn | None:
        """The turn of ``job_id``, ``None`` when unknown or expired."""
        if not job_id or len(job_id) > 64:
            return None
        async with self._reader.connect() as conn:
            row = (
                await conn.execute(
                    select(T).where(
                        T.c.job_id == job_id, T.c.created_at >= utc_now() - self._retention
                    )
                )
            ).first()
        return None if row is None else _turn(row)

    async def pending(
        self, team_id: str, channel_id: str, *, within: timedelta, limit: int = 5
    ) -> list[Turn]:
        """Top-level results in the channel whose message ts is not known yet, recorded in the
        last ``within``, newest first (at most ``limit``)."""
        async with self._reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(T)
                    .where(
                        T.c.team_id == team_id,
                        T.c.channel_id == channel_id,
                        T.c.thread_ts.is_(None),
                        T.c.created_at >= utc_now() - within,
                    )
                    .order_by(T.c.created_at.desc(), T.c.job_id.desc())
                    .limit(limit)
                )
            ).all()
        return [_turn(row) for row in rows]

    async def expire(self, *, now: datetime | None = None) -> int:
        """Delete the turns older than the retention period; returns how many."""
        cutoff = as_utc(now) - self._retention
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(T).where(T.c.created_at < cutoff))
        return int(result.rowcount or 0)

    def start_cleanup(self, interval_s: float = CLEANUP_INTERVAL_S) -> None:
        """Expire old turns now and every ``interval_s`` seconds, in a background task."""
        if self._cleanup is None or self._cleanup.done():
            self._cleanup = asyncio.create_task(
                self._clean_periodically(interval_s), name="imagine-conversation-cleanup"
            )

    async def close(self) -> None:
        """Stop the clean-up task (the engine belongs to the store)."""
        await cancel_and_wait(self._cleanup)
        self._cleanup = None

    async def _clean_periodically(self, interval_s: float) -> None:
        while True:
            try:
                removed = await self.expire()
                if removed:
                    log.info("expired %d conversation turns", removed)
            except (SQLAlchemyError, OSError) as exc:
                log.warning("conversation clean-up failed (will retry): %s", exc)
            await asyncio.sleep(interval_s)


def _turn(row: Any) -> Turn:
    return Turn(
        job_id=row.job_id,
        team_id=row.team_id,
        channel_id=row.channel_id,
        thread_ts=row.thread_ts,
        message_ts=row.message_ts,
        parent_id=row.parent_id,
        user_id=row.user_id,
        source=row.source,
        model=row.model,
        user_prompt=row.user_prompt,
        prompt=row.prompt,
        request=dict(row.request or {}),
        images=[
            TurnImage(
                file_id=str(image.get("file_id") or ""),
                response_id=image.get("response_id"),
                revised_prompt=str(image.get("revised_prompt") or ""),
            )
            for image in row.images or []
        ],
        created_at=row.created_at,
    )
