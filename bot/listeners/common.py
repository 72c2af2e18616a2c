"""Helpers shared by the listeners."""

from __future__ import annotations

from slack_bolt.context.async_context import AsyncBoltContext

from bot import messages
from bot.errors import QueueFullError, ShuttingDownError
from bot.jobs import Job
from bot.services import Services

SERVICES_KEY = "imagine"


def services_of(context: AsyncBoltContext) -> Services:
    """The :class:`Services` the app's middleware put in ``context``."""
    return context[SERVICES_KEY]  # type: ignore[no-any-return]


def enqueue(services: Services, job: Job) -> tuple[int | None, str]:
    """Submit ``job``. Returns ``(position, text for the user)``: position 0 when it started,
    k when k-th in line, ``None`` when refused (queue full, shutting down), with the text saying
    which."""
    try:
        position = services.jobs.submit(job)
    except QueueFullError:
        return None, messages.QUEUE_FULL
    except ShuttingDownError:
        return None, messages.SHUTTING_DOWN
    return position, messages.generating(job.request.n, position)
