"""The generation history store: one row per request, quotas, usage, Regenerate keys.

Life of a request (each step one database transaction):

1. :meth:`Store.check_and_reserve` (before the job is queued, when a quota is set): add the
   request's ``n`` images and estimated cost to the user's day counter and the workspace's month
   counter, refusing with :class:`bot.store.quota.QuotaExceededError` when a limit would be
   passed, and write the request's row as ``queued``. Nothing is written when refused.
   Reservations arriving together share one transaction (group commit).
2. :meth:`Store.started` (pipeline, before OpenAI is called): ``running``, ``started_at``.
3. :meth:`Store.record_generation` (pipeline, after OpenAI answered): revised prompts, tokens, and
   the charge brought to the images actually generated.
4. :meth:`Store.finished` (pipeline): final status, error code, ``finished_at``; a job that
   generated nothing gives its reservation back.

A process that dies between 1 and 4 leaves its rows ``queued`` or ``running``; the next process
to start claims them with :meth:`Store.interrupted_jobs` (``interrupted``), once. To tell a dead
process from a live one sharing the database, each :class:`Store` registers itself in
``instances`` and refreshes a heartbeat every ``heartbeat_s`` seconds.

Times are stored in UTC; the user's day and the workspace's month are UTC periods.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Row, Table, delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.errors import DeliveryError, OpenAIError
from bot.jobs import Job
from bot.openai.backends import Generation
from bot.regenerate import RegenerateEntry
from bot.request import ImageRequest
from bot.store import database, quota
from bot.store.models import GenerationRow, InstanceRow, RegenerateKeyRow
from bot.store.pricing import PriceTable, micro_to_usd, usd_to_micro
from bot.store.quota import CounterKey, QuotaExceededError, as_utc, utc_now
from bot.store.records import (
    GenerationRecord,
    HistoryItem,
    InterruptedJob,
    TeamUsage,
    Totals,
    UserTotal,
    UserUsage,
)

log = logging.getLogger(__name__)

G = cast(Table, GenerationRow.__table__)
I = cast(Table, InstanceRow.__table__)  # noqa: E741
R = cast(Table, RegenerateKeyRow.__table__)

ACTIVE = ("queued", "running")
REFUSED = "refused"
# Outcomes that keep the reservation when no generation was recorded (the images were made).
KEEPS_CHARGE = ("ok", "partial")
HEARTBEAT_S = 30.0
STALE_HEARTBEATS = 4
OPTION_FIELDS = ("n", "size", "quality", "background", "preset")


@dataclass
class _Reservation:
    """A pending :meth:`Store.check_and_reserve`: the job, its estimated ``cost`` (micro-USD),
    its counters (user's day, workspace's month), the limits that apply to it, and the future
    its caller awaits (``None`` when accepted, else the refusal)."""

    job: Job
    now: datetime
    cost: int
    keys: tuple[CounterKey, CounterKey]
    max_images: int | None
    budget_usd: float | None
    outcome: asyncio.Future[QuotaExceededError | None]

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


@dataclass(frozen=True)
class _Charge:
    """What a generations row is charged now, and where its counters are."""

    job_id: str
    team_id: str
    user_id: str
    queued_at: datetime
    status: str
    generated: int | None
    images: int
    cost_micro: int

    def counters(self) -> tuple[CounterKey, CounterKey]:
        return (
            CounterKey.user_day(self.team_id, self.user_id, self.queued_at),
            CounterKey.team_month(self.team_id, self.queued_at),
        )


class Store:
    """SQLAlchemy 2 (async) store on SQLite or PostgreSQL. Build it with :meth:`open`, close
    it with :meth:`close`. Implements :class:`bot.pipeline.JobRecorder` and
    :class:`bot.regenerate.RegenerateStore`.

    ``model`` and ``api`` are recorded on every row and ``model`` prices the estimates; one
    instance of the app uses one model (IMAGE_MODEL, IMAGE_API).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        prices: PriceTable,
        model: str,
        api: str,
        heartbeat_s: float,
    ) -> None:
        self._engine = engine
        self._reader = engine.execution_options(imagine_read_only=True)
        self._prices = prices
        self._model = model
        self._api = api
        self._heartbeat_s = heartbeat_s
        self._instance_id = uuid.uuid4().hex
        self._host = socket.gethostname()[:255]
        self._heartbeat: asyncio.Task[None] | None = None
        self._pending: list[_Reservation] = []
        self._writer: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        database_url: str | None,
        *,
        prices: PriceTable,
        model: str = "gpt-image-2",
        api: str = "responses",
        heartbeat_s: float = HEARTBEAT_S,
    ) -> Store:
        """Connect to ``database_url`` (``None``: SQLite ``./imagine.db``, created if missing),
        apply the Alembic migrations up to head, and register this process.

        Raises :class:`bot.errors.ConfigError` for an unsupported URL and SQLAlchemy's
        ``OperationalError`` (or the driver's ``OSError``) when the database cannot be reached.
        """
        engine = database.create_engine(database.resolve_url(database_url))
        store = cls(engine, prices=prices, model=model, api=api, heartbeat_s=heartbeat_s)
        try:
            await database.upgrade(engine)
            await store._touch()
        except BaseException:
            await engine.dispose()
            raise
        store._heartbeat = asyncio.create_task(store._beat(), name="imagine-store-heartbeat")
        return store

    @property
    def engine(self) -> AsyncEngine:
        """The engine (for tests and maintenance scripts)."""
        return self._engine

    @property
    def instance_id(self) -> str:
        """This process's id in the ``instances`` table (32 hex characters)."""
        return self._instance_id

    async def close(self) -> None:
        """Stop the heartbeat, unregister this process and close the connections. Rows this
        process leaves ``queued`` or ``running`` become interrupted jobs for the next start."""
        if self._writer is not None:
            await asyncio.wait([self._writer])  # reservations in flight are written first
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        try:
            async with self._engine.begin() as conn:
                await conn.execute(delete(I).where(I.c.id == self._instance_id))
        except (SQLAlchemyError, OSError) as exc:
            log.warning("could not unregister store instance %s: %s", self._instance_id, exc)
        await self._engine.dispose()

    # --- Quotas --------------------------------------------------------------------------------

    async def check_and_reserve(
        self,
        job: Job,
        *,
        user_daily_image_limit: int | None,
        monthly_budget_usd: float | None,
        admin_user_ids: frozenset[str],
        now: datetime | None = None,
    ) -> None:
        """Reserve ``job.request.n`` images and their estimated cost, and record the job as
        ``queued``; call it before the job is queued.

        ``user_daily_image_limit`` caps the images a user may be charged per UTC day (admins in
        ``admin_user_ids`` are exempt); ``monthly_budget_usd`` caps the workspace's estimated
        spend per UTC month (admins included); ``None`` turns either off. Raises
        :class:`QuotaExceededError` (nothing written) when the request does not fit; concurrent
        calls from any number of processes never both take a slot only one fits in.

        Reservations that arrive together are written by one task in one transaction with a
        fixed number of statements (group commit), in arrival order: a burst of slash commands
        costs one transaction, not one each, so acks stay fast with quotas on.
        """
        now = as_utc(now)
        cost = self._estimate(job, job.request.n)
        exempt = job.destination.user_id in admin_user_ids
        reservation = _Reservation(
            job=job,
            now=now,
            cost=cost,
            keys=self._counters(job, now),
            max_images=None if exempt else user_daily_image_limit,
            budget_usd=monthly_budget_usd,
            outcome=asyncio.get_running_loop().create_future(),
        )
        self._pending.append(reservation)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_reservations())
        refusal = await reservation.outcome
        if refusal is not None:
            raise refusal

    async def _write_reservations(self) -> None:
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
        running totals, add what was accepted and write the accepted jobs' rows."""
        keys = sorted({key for reservation in batch for key in reservation.keys})
        refusals: list[QuotaExceededError | None] = []
        async with self._engine.begin() as conn:
            totals = await quota.lock_counters(conn, keys)
            deltas: defaultdict[CounterKey, list[int]] = defaultdict(lambda: [0, 0])
            rows = []
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
                    self._row(reservation.job, reservation.now, reservation.cost, status="queued")
                )
            await quota.add_many(conn, dict(deltas))
            if rows:
                await conn.execute(insert(G), rows)
        return refusals

    async def release(self, job: Job) -> None:
        """Give back what ``job`` reserved beyond the images it actually generated (all of it
        when nothing was generated), e.g. when the queue refused it after the reservation. A
        job still ``queued`` becomes ``refused``. Safe to call more than once; unknown jobs are
        ignored."""
        now = utc_now()
        async with self._engine.begin() as conn:
            charge = await self._lock(conn, job.id)
            if charge is None:
                return
            if charge.generated is None:
                await self._settle(conn, [(charge, 0, 0)])
            if charge.status == "queued":
                await conn.execute(
                    update(G).where(G.c.id == job.id).values(status=REFUSED, finished_at=now)
                )

    # --- The pipeline's JobRecorder ------------------------------------------------------------

    async def started(self, job: Job) -> None:
        """Mark ``job`` ``running`` now. A job that was never reserved (no row) is recorded and
        charged here without any limit, so that no generation goes unrecorded."""
        now = utc_now()
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(G)
                .where(G.c.id == job.id, G.c.status == "queued")
                .values(status="running", started_at=now)
            )
            if result.rowcount or await self._lock(conn, job.id) is not None:
                return
            cost = self._estimate(job, job.request.n)
            for key in self._counters(job, now):
                await quota.add(conn, key, images=job.request.n, cost_micro=cost)
            values = self._row(job, now, cost, status="running")
            await conn.execute(insert(G).values(started_at=now, **values))

    async def record_generation(self, job: Job, generation: Generation) -> None:
        """Record what OpenAI produced for ``job``: the revised prompts, the token usage, and
        the charge brought to ``len(generation.images)`` images at the estimated price (the
        pipeline calls this once they are delivered, so fewer images than ``n`` give the rest
        back). Unknown jobs are logged and ignored."""
        produced = len(generation.images)
        cost = self._estimate(job, produced)
        usage = generation.usage
        async with self._engine.begin() as conn:
            charge = await self._lock(conn, job.id)
            if charge is None:
                log.warning("no record of job %s; its generation is not recorded", job.id)
                return
            await self._settle(conn, [(charge, produced, cost)])
            await conn.execute(
                update(G)
                .where(G.c.id == job.id)
                .values(
                    generated=produced,
                    revised_prompts=[image.revised_prompt for image in generation.images],
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    total_tokens=usage.total_tokens,
                )
            )

    async def finished(self, job: Job, *, outcome: str, error: BaseException | None) -> None:
        """Record how ``job`` ended: ``outcome`` becomes the status (``ok``, ``partial``,
        ``timeout``, ``interrupted``, ``failed`` or an error class name), ``error``'s code the
        error code (:func:`error_code`). A job with no recorded generation gives its
        reservation back unless ``outcome`` is ``ok`` or ``partial``. Unknown jobs are logged
        and ignored."""
        now = utc_now()
        async with self._engine.begin() as conn:
            charge = await self._lock(conn, job.id)
            if charge is None:
                log.warning("no record of job %s; its outcome %s is not recorded", job.id, outcome)
                return
            if charge.generated is None and outcome not in KEEPS_CHARGE:
                await self._settle(conn, [(charge, 0, 0)])
            await conn.execute(
                update(G)
                .where(G.c.id == job.id)
                .values(status=outcome[:64], error_code=error_code(error), finished_at=now)
            )

    # --- Interrupted jobs ----------------------------------------------------------------------

    async def interrupted_jobs(self, *, now: datetime | None = None) -> list[InterruptedJob]:
        """Claim the rows that dead processes left ``queued`` or ``running``: mark them
        ``interrupted`` (giving back what they reserved, unless images were generated), store a
        Regenerate key for each, and return them, oldest first. Each row is returned once, even
        when several instances start together.

        A process counts as dead when its heartbeat is older than ``STALE_HEARTBEATS`` beats,
        when it unregistered (clean close), or when it ran on this host and its pid is gone or
        is ours (a restart). Live peers' jobs are left alone."""
        now = as_utc(now)
        async with self._engine.begin() as conn:
            alive = await self._alive_instances(conn, now)
            rows = (
                await conn.execute(
                    select(G)
                    .where(G.c.status.in_(ACTIVE), G.c.instance_id.not_in(alive))
                    .order_by(G.c.queued_at, G.c.id)
                    .with_for_update()
                )
            ).all()
            jobs = [await self._interrupt(conn, row, now) for row in rows]
            await self._settle(
                conn, [(_charge_of(row), 0, 0) for row in rows if row.generated is None]
            )
            await conn.execute(delete(I).where(I.c.id.not_in(alive)))
        return jobs

    async def _interrupt(
        self, conn: AsyncConnection, row: Row[Any], now: datetime
    ) -> InterruptedJob:
        request = _request_of(row)
        key = await self._put_key(
            conn,
            RegenerateEntry(
                request=request,
                team_id=row.team_id,
                channel_id=row.channel_id,
                thread_ts=row.thread_ts,
            ),
            now,
        )
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
        )

    async def _alive_instances(self, conn: AsyncConnection, now: datetime) -> list[str]:
        stale = timedelta(seconds=self._heartbeat_s * STALE_HEARTBEATS)
        rows = (await conn.execute(select(I.c.id, I.c.host, I.c.pid, I.c.heartbeat_at))).all()
        alive = [self._instance_id]
        for row in rows:
            if row.id == self._instance_id or now - row.heartbeat_at > stale:
                continue
            if row.host == self._host and (row.pid == os.getpid() or not _pid_running(row.pid)):
                continue
            alive.append(row.id)
        return alive

    # --- Regenerate keys (bot.regenerate.RegenerateStore) ----------------------------------------

    async def put(self, entry: RegenerateEntry) -> str:
        """Store ``entry`` and return its new key (16 URL-safe characters). Keys survive
        restarts and are shared by every instance on the database."""
        async with self._engine.begin() as conn:
            return await self._put_key(conn, entry, utc_now())

    async def get(self, key: str) -> RegenerateEntry | None:
        """The entry under ``key``; ``None`` when unknown, or stored by a version of the app
        whose request no longer fits :class:`ImageRequest`."""
        if not key or len(key) > 32:
            return None
        async with self._reader.connect() as conn:
            row = (await conn.execute(select(R).where(R.c.key == key))).first()
        if row is None:
            return None
        try:
            request = ImageRequest(**row.request)
        except TypeError:
            log.warning("Regenerate key %s holds a request this version cannot read", key)
            return None
        return RegenerateEntry(
            request=request, team_id=row.team_id, channel_id=row.channel_id, thread_ts=row.thread_ts
        )

    async def _put_key(self, conn: AsyncConnection, entry: RegenerateEntry, now: datetime) -> str:
        key = secrets.token_urlsafe(12)
        await conn.execute(
            insert(R).values(
                key=key,
                team_id=entry.team_id,
                channel_id=entry.channel_id,
                thread_ts=entry.thread_ts,
                request=entry.request.to_dict(),
                created_at=now,
            )
        )
        return key

    # --- Usage ---------------------------------------------------------------------------------

    async def usage(self, team_id: str, user_id: str, *, now: datetime | None = None) -> UserUsage:
        """``user_id``'s images and estimated cost this UTC day and this UTC month."""
        now = as_utc(now)
        async with self._reader.connect() as conn:
            today = await _totals(conn, team_id, quota.day_start(now), quota.next_day(now), user_id)
            month = await _totals(
                conn, team_id, quota.month_start(now), quota.next_month(now), user_id
            )
        return UserUsage(
            team_id=team_id,
            user_id=user_id,
            today=today,
            month=month,
            day_resets_at=quota.next_day(now),
            month_resets_at=quota.next_month(now),
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
        async with self._reader.connect() as conn:
            rows = (
                await conn.execute(
                    select(G)
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
            )
            for row in rows
        ]

    async def record(self, job_id: str) -> GenerationRecord | None:
        """Everything recorded about one request, ``None`` when unknown."""
        async with self._reader.connect() as conn:
            row = (await conn.execute(select(G).where(G.c.id == job_id))).first()
        if row is None:
            return None
        values = row._asdict()
        values["job_id"] = values.pop("id")
        values["cost_usd"] = micro_to_usd(values.pop("cost_micro"))
        values.pop("instance_id")
        return GenerationRecord(**values)

    # --- Helpers -------------------------------------------------------------------------------

    def _estimate(self, job: Job, images: int) -> int:
        request = job.request
        return self._prices.estimate_micro(self._model, request.quality, request.size, images)

    @staticmethod
    def _counters(job: Job, when: datetime) -> tuple[CounterKey, CounterKey]:
        team_id, user_id = job.destination.team_id, job.destination.user_id
        return CounterKey.user_day(team_id, user_id, when), CounterKey.team_month(team_id, when)

    def _row(self, job: Job, now: datetime, cost: int, *, status: str) -> dict[str, Any]:
        request, destination = job.request, job.destination
        return {
            "id": job.id,
            "team_id": destination.team_id,
            "channel_id": destination.channel_id,
            "thread_ts": destination.thread_ts,
            "user_id": destination.user_id,
            "source": job.source,
            "user_prompt": request.user_prompt,
            "prompt": request.prompt,
            "options": {name: getattr(request, name) for name in OPTION_FIELDS},
            "model": self._model,
            "api": self._api,
            "status": status,
            "n": request.n,
            "images": request.n,
            "cost_micro": cost,
            "queued_at": now,
            "instance_id": self._instance_id,
        }

    @staticmethod
    async def _lock(conn: AsyncConnection, job_id: str) -> _Charge | None:
        row = (await conn.execute(select(G).where(G.c.id == job_id).with_for_update())).first()
        return None if row is None else _charge_of(row)

    @staticmethod
    async def _settle(conn: AsyncConnection, changes: Sequence[tuple[_Charge, int, int]]) -> None:
        """Set each row's charge to ``(images, cost_micro)`` and move the difference onto its
        counters, which are updated in sorted key order (no deadlocks between transactions)."""
        deltas: defaultdict[CounterKey, list[int]] = defaultdict(lambda: [0, 0])
        for charge, images, cost in changes:
            if (images, cost) == (charge.images, charge.cost_micro):
                continue
            await conn.execute(
                update(G).where(G.c.id == charge.job_id).values(images=images, cost_micro=cost)
            )
            for key in charge.counters():
                deltas[key][0] += images - charge.images
                deltas[key][1] += cost - charge.cost_micro
        for key in sorted(deltas):
            await quota.add(conn, key, images=deltas[key][0], cost_micro=deltas[key][1])

    async def _touch(self) -> None:
        now = utc_now()
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(I).where(I.c.id == self._instance_id).values(heartbeat_at=now)
            )
            if not result.rowcount:
                await conn.execute(
                    insert(I).values(
                        id=self._instance_id,
                        host=self._host,
                        pid=os.getpid(),
                        started_at=now,
                        heartbeat_at=now,
                    )
                )

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_s)
            try:
                await self._touch()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("store heartbeat failed (will retry): %s", exc)


def error_code(error: BaseException | None) -> str | None:
    """The code recorded for ``error``: OpenAI's ``code`` (else its ``type``), Slack's error
    for a delivery failure, else ``None`` (the status already names the error class)."""
    if isinstance(error, OpenAIError):
        code = error.code or error.type
        return code[:128] if code else None
    if isinstance(error, DeliveryError):
        return error.error[:128]
    return None


def _charge_of(row: Row[Any]) -> _Charge:
    return _Charge(
        job_id=row.id,
        team_id=row.team_id,
        user_id=row.user_id,
        queued_at=row.queued_at,
        status=row.status,
        generated=row.generated,
        images=row.images,
        cost_micro=row.cost_micro,
    )


def _request_of(row: Row[Any]) -> ImageRequest:
    options = {name: row.options.get(name) for name in OPTION_FIELDS}
    return ImageRequest(user_prompt=row.user_prompt, prompt=row.prompt, **options)


def _in_period(team_id: str, start: datetime, end: datetime) -> Iterable[Any]:
    return (
        G.c.team_id == team_id,
        G.c.queued_at >= start,
        G.c.queued_at < end,
        G.c.status != REFUSED,
    )


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


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


__all__ = ["Store", "error_code"]
