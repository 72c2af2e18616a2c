"""Quota reservations: a request's images and estimated cost are added to its counters, and its
``generations`` row written as ``queued``, before the job is queued, or the request is refused
with :class:`bot.store.quota.QuotaExceededError` and nothing is written.

Reservations arriving together are written by one task in one transaction with a fixed number
of statements (group commit), in arrival order: a burst of slash commands costs one
transaction, not one each, so acks stay fast with quotas on. The counter rows are locked
(:func:`bot.store.quota.lock_counters`) in that transaction, so concurrent processes never both
take a slot only one fits in.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.jobs import Job
from bot.store import quota
from bot.store.journal_models import AcceptedJobRow
from bot.store.models import GenerationRow
from bot.store.pricing import micro_to_usd, usd_to_micro
from bot.store.quota import CounterKey, QuotaExceededError, as_utc, utc_now
from bot.store.rows import JobRows, lock_charge, settle

G = cast(Table, GenerationRow.__table__)
A = cast(Table, AcceptedJobRow.__table__)
REFUSED = "refused"


@dataclass
class _Reservation:
    """A pending :meth:`Reservations.check_and_reserve`: the job, its estimated ``cost``
    (micro-USD), its counters (user's day, workspace's month), the limits that apply to it, and
    the future its caller awaits (``None`` when accepted, else the refusal)."""

    job: Job
    now: datetime
    cost: int
    keys: tuple[CounterKey, CounterKey]
    max_images: int | None
    budget_usd: float | None
    outcome: asyncio.Future[QuotaExceededError | None]
    journal_entry: dict[str, Any] | None = None

    def refusal(self, totals: dict[CounterKey, list[int]]) -> QuotaExceededError | None:
        """Why this reservation does not fit the counters' current ``totals``, if it does not."""
        n = self.job.request.n
        user_key, team_key = self.keys
        used_images = totals[user_key][0]
        if self.max_images is not None and used_images + n > self.max_images:
            return QuotaExceededError(
                "user_daily", self.max_images, used_images, quota.next_day(self.now), requested=n
            )
        used_cost = totals[team_key][1]
        if self.budget_usd is not None and used_cost + self.cost > usd_to_micro(self.budget_usd):
            return QuotaExceededError(
                "monthly_budget",
                self.budget_usd,
                micro_to_usd(used_cost),
                quota.next_month(self.now),
                requested=micro_to_usd(self.cost),
            )
        return None


class Reservations:
    """Reserves and releases requests' quota charges on ``engine``; ``rows`` builds the rows."""

    def __init__(self, engine: AsyncEngine, rows: JobRows) -> None:
        self._engine = engine
        self._rows = rows
        self._pending: list[_Reservation] = []
        self._writer: asyncio.Task[None] | None = None

    async def check_and_reserve(
        self,
        job: Job,
        *,
        user_daily_image_limit: int | None,
        monthly_budget_usd: float | None,
        admin_user_ids: frozenset[str],
        now: datetime | None = None,
        journal_entry: dict[str, Any] | None = None,
    ) -> None:
        """Reserve ``job.request.n`` images and their estimated cost, and record the job as
        ``queued``; call it before the job is queued. ``journal_entry``
        (:meth:`bot.store.journal.Journal.entry`) is written in the same transaction when the
        request is accepted, so that an ack with quotas waits for one commit, not two.

        ``user_daily_image_limit`` caps the images a user may be charged per UTC day (admins in
        ``admin_user_ids`` are exempt); ``monthly_budget_usd`` caps the workspace's estimated
        spend per UTC month (admins included); ``None`` turns either off. Raises
        :class:`QuotaExceededError` (nothing written) when the request does not fit.
        """
        now = as_utc(now)
        exempt = job.destination.user_id in admin_user_ids
        reservation = _Reservation(
            job=job,
            now=now,
            cost=self._rows.estimate(job, job.request.n),
            keys=self._rows.counters(job, now),
            max_images=None if exempt else user_daily_image_limit,
            budget_usd=monthly_budget_usd,
            outcome=asyncio.get_running_loop().create_future(),
            journal_entry=journal_entry,
        )
        self._pending.append(reservation)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())
        refusal = await reservation.outcome
        if refusal is not None:
            raise refusal

    async def flush(self) -> None:
        """Wait until the reservations in flight are written (before the engine closes)."""
        if self._writer is not None:
            await asyncio.wait([self._writer])

    async def _write_pending(self) -> None:
        """Write pending reservations, batch after batch, until none are left. Each waiting
        caller gets its own outcome, or the exception that failed its batch."""
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                refusals = await self._reserve(batch)
            except BaseException as exc:
                for reservation in batch:
                    if not reservation.outcome.done():
                        reservation.outcome.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for reservation, refusal in zip(batch, refusals, strict=True):
                if not reservation.outcome.done():
                    reservation.outcome.set_result(refusal)

    async def _reserve(self, batch: list[_Reservation]) -> list[QuotaExceededError | None]:
        """One transaction: lock the batch's counters, decide each reservation in order against
        running totals, add what was accepted and write the accepted jobs' rows (and their
        journal entries)."""
        keys = sorted({key for reservation in batch for key in reservation.keys})
        refusals: list[QuotaExceededError | None] = []
        async with self._engine.begin() as conn:
            totals = await quota.lock_counters(conn, keys)
            deltas: defaultdict[CounterKey, list[int]] = defaultdict(lambda: [0, 0])
            rows, entries = [], []
            for reservation in batch:
                refusal = reservation.refusal(totals)
                refusals.append(refusal)
                if refusal is not None:
                    continue
                for key in reservation.keys:
                    for counts in (totals[key], deltas[key]):
                        counts[0] += reservation.job.request.n
                        counts[1] += reservation.cost
                rows.append(
                    self._rows.row(
                        reservation.job, reservation.now, reservation.cost, status="queued"
                    )
                )
                if reservation.journal_entry is not None:
                    entries.append(reservation.journal_entry)
            await quota.add_many(conn, dict(deltas))
            if rows:
                await conn.execute(insert(G), rows)
            if entries:
                await conn.execute(insert(A), entries)
        return refusals

    async def release(self, job: Job) -> None:
        """Give back what ``job`` reserved beyond the images it actually generated (all of it
        when nothing was generated), e.g. when the queue refused it after the reservation. A
        job still ``queued`` becomes ``refused``. Safe to call more than once; unknown jobs are
        ignored."""
        now = utc_now()
        async with self._engine.begin() as conn:
            charge = await lock_charge(conn, job.id)
            if charge is None:
                return
            if charge.generated is None:
                await settle(conn, [(charge, 0, 0)])
            if charge.status == "queued":
                await conn.execute(
                    update(G).where(G.c.id == job.id).values(status=REFUSED, finished_at=now)
                )
