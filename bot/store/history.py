"""The generation history as the pipeline writes it: each job's start, result and end, on its
``generations`` row (implements :class:`bot.pipeline.JobRecorder`).

Life of a request: reserved as ``queued`` (:mod:`bot.store.reservations`, when a quota is set),
``running`` at :meth:`History.started` (before OpenAI is called; a job never reserved gets its
row here), revised prompts, tokens and the final charge at :meth:`History.record_generation`,
then the outcome at :meth:`History.finished`. Times are UTC.
"""

from __future__ import annotations

import logging
from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.jobs import Job
from bot.openai.backends import Generation
from bot.store import quota
from bot.store.models import GenerationRow
from bot.store.pricing import micro_to_usd
from bot.store.quota import utc_now
from bot.store.records import GenerationRecord
from bot.store.rows import JobRows, error_code, lock_charge, settle

log = logging.getLogger(__name__)

G = cast(Table, GenerationRow.__table__)
# Outcomes that keep the reservation when no generation was recorded (the images were made).
KEEPS_CHARGE = ("ok", "partial")


class History:
    """Writes jobs' life cycle on ``engine``; ``rows`` builds new rows and prices them."""

    def __init__(self, engine: AsyncEngine, rows: JobRows) -> None:
        self._engine = engine
        self._reader = engine.execution_options(imagine_read_only=True)
        self._rows = rows

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
            if result.rowcount or await lock_charge(conn, job.id) is not None:
                return
            cost = self._rows.estimate(job, job.request.n)
            for key in self._rows.counters(job, now):
                await quota.add(conn, key, images=job.request.n, cost_micro=cost)
            values = self._rows.row(job, now, cost, status="running")
            await conn.execute(insert(G).values(started_at=now, **values))

    async def record_generation(self, job: Job, generation: Generation) -> None:
        """Record what OpenAI produced for ``job``: the revised prompts, the token usage, and
        the charge brought to ``len(generation.images)`` images at the estimated price, from
        the token usage for models priced by tokens (the pipeline calls this once they are
        delivered, so fewer images than ``n`` give the rest back). Unknown jobs are logged and
        ignored."""
        produced = len(generation.images)
        usage = generation.usage
        cost = self._rows.generation_cost(
            job, produced, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens
        )
        async with self._engine.begin() as conn:
            charge = await lock_charge(conn, job.id)
            if charge is None:
                log.warning("no record of job %s; its generation is not recorded", job.id)
                return
            await settle(conn, [(charge, produced, cost)])
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
        error code (:func:`bot.store.rows.error_code`). A job with no recorded generation gives
        its reservation back unless ``outcome`` is ``ok`` or ``partial``. A job cancelled before
        it started that was never reserved (no quota set) gets its row here, charged nothing;
        other unknown jobs are logged and ignored."""
        now = utc_now()
        async with self._engine.begin() as conn:
            charge = await lock_charge(conn, job.id)
            if charge is None and outcome == "cancelled":  # before it started, never reserved
                values = self._rows.row(job, now, 0, status=outcome) | {"images": 0}
                await conn.execute(insert(G).values(finished_at=now, **values))
                return
            if charge is None:
                log.warning("no record of job %s; its outcome %s is not recorded", job.id, outcome)
                return
            if charge.generated is None and outcome not in KEEPS_CHARGE:
                await settle(conn, [(charge, 0, 0)])
            await conn.execute(
                update(G)
                .where(G.c.id == job.id)
                .values(status=outcome[:64], error_code=error_code(error), finished_at=now)
            )

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
