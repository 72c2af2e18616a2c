"""Accepted requests, kept from the ack until they finish (``accepted_jobs``), so that nothing
is lost when a process stops or crashes (issue #10).

- :meth:`Journal.accept` writes a request before its ack; :meth:`Journal.delivering` marks it
  before its images are posted (from then on it is never run again); :meth:`Journal.done`
  removes it when it ends. Writes that arrive together share one transaction with a fixed
  number of statements (group commit, as :mod:`bot.store.reservations` does), so a burst of
  slash commands costs a few transactions, not one per command, and acks stay fast.
- :meth:`Journal.claim` takes over the requests of processes that are gone
  (:meth:`bot.store.instances.Instances.alive`): ``SELECT … FOR UPDATE SKIP LOCKED`` on
  PostgreSQL, so any number of instances may claim at once and each request is claimed by
  exactly one; on SQLite the ``BEGIN IMMEDIATE`` transaction already excludes other writers.
  Requests that can be rebuilt, are still ``waiting`` and were accepted at most ``max_age_s``
  ago are handed to the claimer to run again (their ``generations`` row moves with them, back
  to ``queued``); the rest are dropped from the journal and returned so that their owners get
  the Regenerate notice (unless their ``generations`` row is left for
  :meth:`bot.store.interrupted.InterruptedJobs.claim`, which tells them).
- :meth:`Journal.request_cancel` marks a request its owner cancelled on an instance that is not
  running it; :meth:`Journal.cancel_requested` lists this process's marked requests, and
  :meth:`Journal.delivering` refuses them (:mod:`bot.cancel_requests`). A claim drops them.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.instances import Instances
from bot.store.journal_models import AcceptedJobRow
from bot.store.models import GenerationRow
from bot.store.quota import as_utc, utc_now
from bot.store.rows import Charge, settle

log = logging.getLogger(__name__)

A = cast(Table, AcceptedJobRow.__table__)
G = cast(Table, GenerationRow.__table__)
WAITING = "waiting"
DELIVERING = "delivering"
ACTIVE = ("queued", "running")
MAX_RESUMES = 3  # a request that keeps taking its process down is not run a fourth time


@dataclass(frozen=True)
class ClaimedJob:
    """A request taken over from a process that is gone: its ``payload``
    (:func:`bot.job_payload.payload_of`), when it was accepted, and for one that will not run
    again whether its ``generations`` row is left for the interrupted-job notice
    (``noticed_elsewhere``)."""

    job_id: str
    payload: dict[str, Any]
    accepted_at: datetime
    noticed_elsewhere: bool = False


@dataclass(frozen=True)
class Claim:
    """What :meth:`Journal.claim` took over: requests to ``resume``, and ``lost`` ones."""

    resume: list[ClaimedJob] = field(default_factory=list)
    lost: list[ClaimedJob] = field(default_factory=list)


CancelOutcome = Literal["requested", "not_yours", "delivering", "unknown"]


@dataclass(frozen=True)
class CancelRequest:
    """What :meth:`Journal.request_cancel` did: ``requested`` (the instance running the request
    stops it), ``not_yours`` (``owner_id`` asked for it), ``delivering`` (too late) or
    ``unknown`` (not kept: finished, or never accepted); ``user_prompt`` when known."""

    outcome: CancelOutcome
    owner_id: str | None = None
    user_prompt: str | None = None


@dataclass
class _Write:
    kind: str  # "accept", "delivering" or "done"
    job_id: str
    values: dict[str, Any] | None
    outcome: asyncio.Future[bool]


class Journal:
    """The accepted requests on ``engine``, written in this process's name (``instances``)."""

    def __init__(self, engine: AsyncEngine, *, instances: Instances) -> None:
        self._engine = engine
        self._instances = instances
        self._pending: list[_Write] = []
        self._writer: asyncio.Task[None] | None = None

    def entry(
        self,
        job_id: str,
        *,
        team_id: str,
        user_id: str,
        payload: dict[str, Any],
        resumable: bool,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        """The ``accepted_jobs`` row of an accepted request (``payload``:
        :func:`bot.job_payload.payload_of`), ``waiting`` for this process: for :meth:`accept`,
        or for a writer that commits it together with its own rows
        (:meth:`bot.store.reservations.Reservations.check_and_reserve`)."""
        return {
            "id": job_id,
            "team_id": team_id,
            "user_id": user_id,
            "payload": payload,
            "resumable": resumable,
            "state": WAITING,
            "instance_id": self._instances.id,
            "accepted_at": as_utc(now),
            "claimed_at": None,
            "resumes": 0,
            "cancel_requested": False,
        }

    async def accept(self, entry: dict[str, Any]) -> None:
        """Write an accepted request, the row :meth:`entry` made; returns once it is committed
        (group commit). Database errors propagate to the caller, whose batch failed."""
        await self._write("accept", str(entry["id"]), entry)

    async def delivering(self, job_id: str) -> bool:
        """The request's images are about to be posted: from now on it never runs again and
        can no longer be cancelled. Returns ``False`` (and changes nothing) when its owner has
        asked to cancel it (:meth:`request_cancel`): nothing may be posted."""
        return await self._write("delivering", job_id, None)

    async def done(self, job_id: str) -> None:
        """The request ended (delivered, failed, cancelled, refused): forget it."""
        await self._write("done", job_id, None)

    async def flush(self) -> None:
        """Wait for the writes in flight."""
        if self._writer is not None:
            await asyncio.wait([self._writer])

    async def _write(self, kind: str, job_id: str, values: dict[str, Any] | None) -> bool:
        write = _Write(kind, job_id, values, asyncio.get_running_loop().create_future())
        self._pending.append(write)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name="imagine-journal")
        return await write.outcome

    async def _write_batches(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                refused = await self._commit(batch)
            except BaseException as exc:
                for write in batch:
                    if not write.outcome.done():
                        write.outcome.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for write in batch:
                if not write.outcome.done():
                    refuse = write.kind == "delivering" and write.job_id in refused
                    write.outcome.set_result(not refuse)

    async def _commit(self, batch: list[_Write]) -> set[str]:
        """One transaction: the batch's new rows, then its state changes, then its removals
        (a request accepted and finished in one batch is written and removed). Returns the
        ids among ``delivering`` whose owner asked to cancel them (left unchanged)."""
        rows = [w.values for w in batch if w.kind == "accept" and w.values is not None]
        delivering = [w.job_id for w in batch if w.kind == "delivering"]
        done = [w.job_id for w in batch if w.kind == "done"]
        refused: set[str] = set()
        async with self._engine.begin() as conn:
            if rows:
                await conn.execute(insert(A), rows)
            if delivering:  # rows locked first: a concurrent request_cancel is seen or waits
                found = await conn.execute(
                    select(A.c.id, A.c.cancel_requested)
                    .where(A.c.id.in_(delivering))
                    .with_for_update()
                )
                refused = {row.id for row in found if row.cancel_requested}
                allowed = [job_id for job_id in delivering if job_id not in refused]
                if allowed:
                    await conn.execute(
                        update(A).where(A.c.id.in_(allowed)).values(state=DELIVERING)
                    )
            if done:
                await conn.execute(delete(A).where(A.c.id.in_(done)))
        return refused

    async def request_cancel(self, job_id: str, *, team_id: str, user_id: str) -> CancelRequest:
        """The owner (``team_id``, ``user_id``) asks to cancel a request that may be running on
        another instance: mark it, unless someone else asked for it or its images are already
        being posted. The instance running it stops it (:meth:`cancel_requested`), and
        :meth:`delivering` refuses it from now on."""
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(A).where(A.c.id == job_id).with_for_update())).first()
            if row is None:
                return CancelRequest("unknown")
            request = row.payload.get("request") if isinstance(row.payload, dict) else None
            prompt = request.get("user_prompt") if isinstance(request, dict) else None
            if (row.team_id, row.user_id) != (team_id, user_id):
                return CancelRequest("not_yours", owner_id=row.user_id, user_prompt=prompt)
            if row.state == DELIVERING:
                return CancelRequest("delivering", owner_id=row.user_id, user_prompt=prompt)
            await conn.execute(update(A).where(A.c.id == job_id).values(cancel_requested=True))
        return CancelRequest("requested", owner_id=row.user_id, user_prompt=prompt)

    async def cancel_requested(self) -> list[str]:
        """The ids of this process's requests whose owner asked to cancel them elsewhere."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(A.c.id).where(A.c.instance_id == self._instances.id, A.c.cancel_requested)
            )
            return [row.id for row in rows]

    async def claim(self, *, max_age_s: float, now: datetime | None = None) -> Claim:
        """Take over the requests of processes that are gone (see the module docstring),
        oldest first. ``max_age_s`` is RESUME_MAX_AGE_S. Each request is returned by exactly
        one call, whichever instance makes it."""
        now = as_utc(now)
        oldest = now - timedelta(seconds=max_age_s)
        async with self._engine.begin() as conn:
            alive = await self._instances.alive(conn, now)
            rows = (
                await conn.execute(
                    select(A)
                    .where(A.c.instance_id.not_in(alive))
                    .order_by(A.c.accepted_at, A.c.id)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return Claim()
            cancelled = [row.id for row in rows if row.cancel_requested]
            rows = [row for row in rows if not row.cancel_requested]
            if cancelled:  # their owners pressed Cancel: they end here, without a word
                await conn.execute(delete(A).where(A.c.id.in_(cancelled)))
                charged = (
                    await conn.execute(
                        select(G)
                        .where(G.c.id.in_(cancelled), G.c.status.in_(ACTIVE))
                        .with_for_update()
                    )
                ).all()  # what they reserved goes back, as for any cancelled request
                await settle(conn, [(Charge.of(r), 0, 0) for r in charged if r.generated is None])
                await conn.execute(
                    update(G)
                    .where(G.c.id.in_(cancelled), G.c.status.in_(ACTIVE))
                    .values(status="cancelled", finished_at=now)
                )
            resume = [
                row
                for row in rows
                if row.resumable
                and row.state == WAITING
                and row.accepted_at >= oldest
                and row.resumes < MAX_RESUMES
            ]
            resumed = {row.id for row in resume}
            lost = [row for row in rows if row.id not in resumed]
            if resumed:
                await conn.execute(
                    update(A)
                    .where(A.c.id.in_(resumed))
                    .values(instance_id=self._instances.id, claimed_at=now, resumes=A.c.resumes + 1)
                )
                await conn.execute(
                    update(G)
                    .where(G.c.id.in_(resumed), G.c.status.in_(ACTIVE))
                    .values(instance_id=self._instances.id, status="queued")
                )
            noticed: set[str] = set()
            if lost:
                lost_ids = [row.id for row in lost]
                await conn.execute(delete(A).where(A.c.id.in_(lost_ids)))
                found = await conn.execute(
                    select(G.c.id).where(
                        G.c.id.in_(lost_ids), G.c.status.in_(ACTIVE), G.c.instance_id.not_in(alive)
                    )
                )
                noticed = {row.id for row in found}
        log.info("claimed %d accepted requests (%d to resume)", len(rows), len(resume))
        return Claim(
            resume=[ClaimedJob(row.id, row.payload, row.accepted_at) for row in resume],
            lost=[
                ClaimedJob(row.id, row.payload, row.accepted_at, row.id in noticed) for row in lost
            ],
        )

    async def owned(self) -> list[str]:
        """The ids of the requests this process is responsible for (oldest first)."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(A.c.id)
                .where(A.c.instance_id == self._instances.id)
                .order_by(A.c.accepted_at, A.c.id)
            )
            return [row.id for row in rows]

    async def state_of(self, job_id: str) -> str | None:
        """The request's state (``waiting``, ``delivering``), ``None`` when not kept."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(A.c.state).where(A.c.id == job_id))).first()
        return None if row is None else str(row.state)


__all__ = ["CancelRequest", "Claim", "ClaimedJob", "Journal", "utc_now"]
