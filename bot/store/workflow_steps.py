"""Workflow Builder step executions in the database (``workflow_steps``, issue #9).

- :meth:`WorkflowSteps.claim`: the first process to insert an execution's row runs it; a retried
  ``function_executed`` event (same ``function_execution_id``) finds the row and is dropped, on
  any instance sharing the database.
- :meth:`WorkflowSteps.finish`: the step ended (its token is forgotten).
- :meth:`WorkflowSteps.claim_interrupted`: at start, the steps dead processes left ``running``,
  each returned once with its token, so that they can be failed with ``functions.completeError``
  (liveness as in :class:`bot.store.instances.Instances`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.instances import Instances
from bot.store.quota import as_utc
from bot.store.workflow_models import WorkflowStepRow

W = cast(Table, WorkflowStepRow.__table__)
RUNNING = "running"


@dataclass(frozen=True)
class InterruptedStep:
    """A step a dead process left running: its execution, workspace, job and token (``None``
    when it was not kept)."""

    execution_id: str
    team_id: str
    job_id: str | None
    token: str | None


class WorkflowSteps:
    """Reads and writes ``workflow_steps`` on ``engine`` for this process (``instances.id``)."""

    def __init__(self, engine: AsyncEngine, *, instances: Instances) -> None:
        self._engine = engine
        self._instances = instances

    async def claim(
        self,
        execution_id: str,
        *,
        team_id: str,
        job_id: str | None,
        token: str | None,
        event_id: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Record that this process runs ``execution_id``; False when some process already
        took it (a retry). Database errors other than the duplicate propagate."""
        values = {
            "execution_id": execution_id,
            "event_id": event_id,
            "team_id": team_id,
            "job_id": job_id,
            "instance_id": self._instances.id,
            "execution_token": token,
            "status": RUNNING,
            "created_at": as_utc(now),
        }
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(W).values(**values))
        except IntegrityError:
            return False
        return True

    async def finish(self, execution_id: str, status: str, *, now: datetime | None = None) -> None:
        """Record how the step ended (``completed`` or ``failed``) and forget its token."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(W)
                .where(W.c.execution_id == execution_id)
                .values(status=status, execution_token=None, finished_at=as_utc(now))
            )

    async def status(self, execution_id: str) -> str | None:
        """The recorded status of ``execution_id``, ``None`` when unknown."""
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(W.c.status).where(W.c.execution_id == execution_id))
            ).first()
        return None if row is None else str(row.status)

    async def claim_interrupted(self, *, now: datetime | None = None) -> list[InterruptedStep]:
        """Mark the steps that dead processes left ``running`` as ``interrupted`` (forgetting
        their tokens) and return them, oldest first, each once even when several instances
        start together. Live processes' steps are left alone."""
        now = as_utc(now)
        async with self._engine.begin() as conn:
            alive = await self._instances.alive(conn, now)
            rows = (
                await conn.execute(
                    select(W)
                    .where(W.c.status == RUNNING, W.c.instance_id.not_in(alive))
                    .order_by(W.c.created_at, W.c.execution_id)
                    .with_for_update()
                )
            ).all()
            if rows:
                await conn.execute(
                    update(W)
                    .where(W.c.execution_id.in_([row.execution_id for row in rows]))
                    .values(status="interrupted", execution_token=None, finished_at=now)
                )
        return [
            InterruptedStep(
                execution_id=row.execution_id,
                team_id=row.team_id,
                job_id=row.job_id,
                token=row.execution_token,
            )
            for row in rows
        ]
