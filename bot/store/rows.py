"""How a job becomes a ``generations`` row, and what that row is charged.

- :class:`JobRows` builds the row of a :class:`bot.jobs.Job` (the model and API of this
  instance, its estimated cost from the price table) and names the usage counters it is charged
  to (the user's UTC day, the workspace's UTC month).
- :class:`Charge`, :func:`lock_charge` and :func:`settle` move a row's charge (images and
  micro-dollars) and keep the counters equal to the sums over the rows (``bot.store.models``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.errors import DeliveryError, OpenAIError
from bot.jobs import Job
from bot.request import ImageRequest
from bot.store import quota
from bot.store.models import GenerationRow
from bot.store.pricing import PriceTable
from bot.store.quota import CounterKey

G = cast(Table, GenerationRow.__table__)
OPTION_FIELDS = ("n", "size", "quality", "background", "preset")


class JobRows:
    """Builds ``generations`` rows for this instance: ``model`` and ``api`` are recorded on
    every row and ``model`` prices the estimates (one instance uses one IMAGE_MODEL and
    IMAGE_API); ``instance_id`` marks the rows this process is responsible for."""

    def __init__(self, *, prices: PriceTable, model: str, api: str, instance_id: str) -> None:
        self.prices = prices
        self.model = model
        self.api = api
        self.instance_id = instance_id

    def estimate(self, job: Job, images: int) -> int:
        """Estimated micro-dollars for ``images`` images of ``job``'s quality and size."""
        request = job.request
        return self.prices.estimate_micro(self.model, request.quality, request.size, images)

    def generation_cost(
        self, job: Job, images: int, *, input_tokens: int, output_tokens: int
    ) -> int:
        """Estimated micro-dollars for ``images`` images of ``job`` once made: from the answer's
        token usage for a model priced by tokens (gpt-image-2), else as :meth:`estimate`
        (:meth:`bot.store.pricing.PriceTable.generation_micro`)."""
        request = job.request
        return self.prices.generation_micro(
            self.model,
            request.quality,
            request.size,
            images,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
        )

    @staticmethod
    def counters(job: Job, when: datetime) -> tuple[CounterKey, CounterKey]:
        """The counters ``job`` is charged to: its user's UTC day and its workspace's month."""
        team_id, user_id = job.destination.team_id, job.destination.user_id
        return CounterKey.user_day(team_id, user_id, when), CounterKey.team_month(team_id, when)

    def row(self, job: Job, now: datetime, cost: int, *, status: str) -> dict[str, Any]:
        """The new row of ``job`` (queued at ``now``, charged ``job.request.n`` images and
        ``cost`` micro-dollars), as column values."""
        request, destination = job.request, job.destination
        return {
            "id": job.id,
            "team_id": destination.team_id,
            "enterprise_id": destination.enterprise_id,
            "channel_id": destination.channel_id,
            "thread_ts": destination.thread_ts,
            "user_id": destination.user_id,
            "source": job.source,
            "parent_id": job.parent_id,
            "user_prompt": request.user_prompt,
            "prompt": request.prompt,
            "options": {name: getattr(request, name) for name in OPTION_FIELDS},
            "model": self.model,
            "api": self.api,
            "status": status,
            "n": request.n,
            "images": request.n,
            "cost_micro": cost,
            "queued_at": now,
            "instance_id": self.instance_id,
        }


@dataclass(frozen=True)
class Charge:
    """What a generations row is charged now, and where its counters are."""

    job_id: str
    team_id: str
    user_id: str
    queued_at: datetime
    status: str
    generated: int | None
    images: int
    cost_micro: int

    @classmethod
    def of(cls, row: Row[Any]) -> Charge:
        """The charge of a ``generations`` row."""
        return cls(
            job_id=row.id,
            team_id=row.team_id,
            user_id=row.user_id,
            queued_at=row.queued_at,
            status=row.status,
            generated=row.generated,
            images=row.images,
            cost_micro=row.cost_micro,
        )

    def counters(self) -> tuple[CounterKey, CounterKey]:
        """The counters this row is charged to."""
        return (
            CounterKey.user_day(self.team_id, self.user_id, self.queued_at),
            CounterKey.team_month(self.team_id, self.queued_at),
        )


async def lock_charge(conn: AsyncConnection, job_id: str) -> Charge | None:
    """Lock ``job_id``'s row for this transaction and return its charge (``None``: no row)."""
    row = (await conn.execute(select(G).where(G.c.id == job_id).with_for_update())).first()
    return None if row is None else Charge.of(row)


async def settle(conn: AsyncConnection, changes: Sequence[tuple[Charge, int, int]]) -> None:
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


def request_of(row: Row[Any]) -> ImageRequest:
    """The :class:`ImageRequest` a ``generations`` row was made for."""
    options = {name: row.options.get(name) for name in OPTION_FIELDS}
    return ImageRequest(user_prompt=row.user_prompt, prompt=row.prompt, **options)


def error_code(error: BaseException | None) -> str | None:
    """The code recorded for ``error``: OpenAI's ``code`` (else its ``type``), Slack's error
    for a delivery failure, else ``None`` (the status already names the error class)."""
    if isinstance(error, OpenAIError):
        code = error.code or error.type
        return code[:128] if code else None
    if isinstance(error, DeliveryError):
        return error.error[:128]
    return None
