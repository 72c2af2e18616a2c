"""Jobs a dead process left ``queued`` or ``running``: claimed once by the next process to
start, marked ``interrupted`` (their reservation given back unless images were generated), each
with a stored Regenerate key so its owner can be offered a button (:mod:`bot.recovery`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.regenerate import RegenerateEntry
from bot.store.instances import Instances
from bot.store.journal_models import AcceptedJobRow
from bot.store.models import GenerationRow
from bot.store.quota import as_utc
from bot.store.records import InterruptedJob
from bot.store.regenerate_keys import RegenerateKeys
from bot.store.rows import Charge, request_of, settle

G = cast(Table, GenerationRow.__table__)
A = cast(Table, AcceptedJobRow.__table__)
ACTIVE = ("queued", "running")


class InterruptedJobs:
    """Finds and claims dead processes' unfinished jobs on ``engine``."""

    def __init__(
        self, engine: AsyncEngine, *, instances: Instances, regenerate: RegenerateKeys
    ) -> None:
        self._engine = engine
        self._instances = instances
        self._regenerate = regenerate

    async def claim(self, *, now: datetime | None = None) -> list[InterruptedJob]:
        """Claim the rows that dead processes left ``queued`` or ``running``: mark them
        ``interrupted`` (giving back what they reserved, unless images were generated), store a
        Regenerate key for each, and return them, oldest first. Each row is returned once, even
        when several instances start together; live peers' jobs are left alone, and so are
        requests still in the journal (:mod:`bot.store.journal`: they resume, or
        :mod:`bot.resume` tells their owners)."""
        now = as_utc(now)
        async with self._engine.begin() as conn:
            alive = await self._instances.alive(conn, now)
            rows = (
                await conn.execute(
                    select(G)
                    .where(G.c.status.in_(ACTIVE), G.c.instance_id.not_in(alive))
                    # requests still in the journal are resumed or told by bot.resume
                    .where(G.c.id.not_in(select(A.c.id)))
                    .order_by(G.c.queued_at, G.c.id)
                    .with_for_update()
                )
            ).all()
            jobs = [await self._interrupt(conn, row, now) for row in rows]
            await settle(conn, [(Charge.of(row), 0, 0) for row in rows if row.generated is None])
            await self._instances.forget_all_but(conn, alive)
        return jobs

    async def _interrupt(
        self, conn: AsyncConnection, row: Row[Any], now: datetime
    ) -> InterruptedJob:
        request = request_of(row)
        entry = RegenerateEntry(
            request=request, team_id=row.team_id, channel_id=row.channel_id, thread_ts=row.thread_ts
        )
        key = await self._regenerate.put_in(conn, entry, now)
        await conn.execute(
            update(G).where(G.c.id == row.id).values(status="interrupted", finished_at=now)
        )
        return InterruptedJob(
            job_id=row.id,
            team_id=row.team_id,
            channel_id=row.channel_id,
            user_id=row.user_id,
            thread_ts=row.thread_ts,
            prompt=row.user_prompt,
            request=request,
            regenerate_key=key,
            queued_at=row.queued_at,
            enterprise_id=row.enterprise_id,
        )
