"""Usage reports read from the generation history: a user's day and month, the workspace's
month with its top users and budget, and a user's recent requests. Refused requests are left
out; periods are UTC (:mod:`bot.store.quota`); costs are estimates (:mod:`bot.store.pricing`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store import quota
from bot.store.models import GenerationRow
from bot.store.pricing import micro_to_usd
from bot.store.quota import as_utc
from bot.store.records import HistoryItem, TeamUsage, Totals, UserTotal, UserUsage
from bot.store.reservations import REFUSED

G = cast(Table, GenerationRow.__table__)


class Reports:
    """Read-only usage queries on ``engine``, always scoped to one workspace (``team_id``)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._reader = engine.execution_options(imagine_read_only=True)

    async def usage(self, team_id: str, user_id: str, *, now: datetime | None = None) -> UserUsage:
        """``user_id``'s images and estimated cost this UTC day and this UTC month, and this
        month's requests by source (edits, variations and DMs are shown apart)."""
        now = as_utc(now)
        async with self._reader.connect() as conn:
            today = await _totals(conn, team_id, quota.day_start(now), quota.next_day(now), user_id)
            month = await _totals(
                conn, team_id, quota.month_start(now), quota.next_month(now), user_id
            )
            by_source = await _by_source(
                conn, team_id, quota.month_start(now), quota.next_month(now), user_id
            )
        return UserUsage(
            team_id=team_id,
            user_id=user_id,
            today=today,
            month=month,
            day_resets_at=quota.next_day(now),
            month_resets_at=quota.next_month(now),
            month_by_source=by_source,
        )

    async def team_usage(
        self,
        team_id: str,
        *,
        now: datetime | None = None,
        budget_usd: float | None = None,
        top: int = 5,
    ) -> TeamUsage:
        """The workspace's UTC month: totals, the ``top`` users by images, how many users
        generated, and what is left of ``budget_usd`` (MONTHLY_BUDGET_USD; ``None``: no
        budget)."""
        now = as_utc(now)
        start, end = quota.month_start(now), quota.next_month(now)
        async with self._reader.connect() as conn:
            month = await _totals(conn, team_id, start, end)
            images = func.sum(G.c.images)
            cost = func.sum(G.c.cost_micro)
            rows = (
                await conn.execute(
                    select(G.c.user_id, images.label("images"), cost.label("cost"))
                    .where(*_in_period(team_id, start, end))
                    .group_by(G.c.user_id)
                    .order_by(images.desc(), cost.desc(), G.c.user_id)
                )
            ).all()
        left = None if budget_usd is None else max(budget_usd - month.cost_usd, 0.0)
        return TeamUsage(
            team_id=team_id,
            month=month,
            top_users=[
                UserTotal(r.user_id, int(r.images), micro_to_usd(int(r.cost))) for r in rows[:top]
            ],
            active_users=len(rows),
            budget_usd=budget_usd,
            budget_left_usd=left,
            resets_at=end,
        )

    async def recent(self, team_id: str, user_id: str, limit: int = 10) -> list[HistoryItem]:
        """``user_id``'s last ``limit`` requests in ``team_id``, newest first (refused ones
        left out)."""
        parent = G.alias("parent")
        async with self._reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(G, parent.c.user_prompt.label("parent_prompt"))
                    .select_from(G.outerjoin(parent, parent.c.id == G.c.parent_id))
                    .where(G.c.team_id == team_id, G.c.user_id == user_id, G.c.status != REFUSED)
                    .order_by(G.c.queued_at.desc(), G.c.id.desc())
                    .limit(limit)
                )
            ).all()
        return [
            HistoryItem(
                job_id=row.id,
                prompt=row.user_prompt,
                channel_id=row.channel_id,
                thread_ts=row.thread_ts,
                queued_at=row.queued_at,
                status=row.status,
                images=row.images,
                cost_usd=micro_to_usd(row.cost_micro),
                source=row.source,
                parent_id=row.parent_id,
                parent_prompt=row.parent_prompt,
            )
            for row in rows
        ]


def _in_period(team_id: str, start: datetime, end: datetime) -> Iterable[Any]:
    return (
        G.c.team_id == team_id,
        G.c.queued_at >= start,
        G.c.queued_at < end,
        G.c.status != REFUSED,
    )


async def _by_source(
    conn: AsyncConnection, team_id: str, start: datetime, end: datetime, user_id: str
) -> dict[str, int]:
    """Requests by source (``command``, ``edit``, ``variation``, ``dm``, …) in the period."""
    rows = await conn.execute(
        select(G.c.source, func.count())
        .where(*_in_period(team_id, start, end), G.c.user_id == user_id)
        .group_by(G.c.source)
    )
    return {str(source): int(count) for source, count in rows}


async def _totals(
    conn: AsyncConnection, team_id: str, start: datetime, end: datetime, user_id: str | None = None
) -> Totals:
    conditions = list(_in_period(team_id, start, end))
    if user_id is not None:
        conditions.append(G.c.user_id == user_id)
    row = (
        await conn.execute(
            select(
                func.coalesce(func.sum(G.c.images), 0),
                func.coalesce(func.sum(G.c.cost_micro), 0),
                func.count(),
            ).where(*conditions)
        )
    ).one()
    return Totals(images=int(row[0]), cost_usd=micro_to_usd(int(row[1])), requests=int(row[2]))
