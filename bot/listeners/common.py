"""Helpers shared by the listeners."""

from __future__ import annotations

from slack_bolt.context.async_context import AsyncBoltContext

from bot import messages
from bot.errors import QueueFullError, ShuttingDownError
from bot.jobs import Job
from bot.services import Services
from bot.store import QuotaExceededError

SERVICES_KEY = "imagine"


def services_of(context: AsyncBoltContext) -> Services:
    """The :class:`Services` the app's middleware put in ``context``."""
    return context[SERVICES_KEY]  # type: ignore[no-any-return]


async def enqueue(services: Services, job: Job) -> tuple[int | None, str]:
    """Check the quotas and submit ``job``.

    Returns ``(position, text for the user)``: position 0 when it started, k when k-th in line,
    ``None`` when refused (over a quota, queue full, shutting down), with the text saying which.

    With a quota configured (USER_DAILY_IMAGE_LIMIT or MONTHLY_BUDGET_USD) the request is
    reserved and recorded here, so the ack can say why it is refused; a job the queue then
    refuses gives its reservation back. With no quota the database stays off the ack path (a
    burst of commands must be acked within 3 s) and the job is recorded when it starts, still
    before OpenAI is called (:meth:`bot.store.history.History.started`).
    """
    settings = services.settings
    if not services.jobs.accepting:
        services.metrics.refused(job.source, "shutting_down")
        return None, messages.SHUTTING_DOWN
    quotas = settings.user_daily_image_limit is not None or settings.monthly_budget_usd is not None
    if quotas:
        try:
            await services.store.reservations.check_and_reserve(
                job,
                user_daily_image_limit=settings.user_daily_image_limit,
                monthly_budget_usd=settings.monthly_budget_usd,
                admin_user_ids=frozenset(settings.admin_user_ids),
            )
        except QuotaExceededError as exc:
            services.metrics.refused(job.source, "quota")
            return None, exc.text
    try:
        position = services.jobs.submit(job)
    except (QueueFullError, ShuttingDownError) as exc:
        if quotas:
            await services.store.reservations.release(job)
        full = isinstance(exc, QueueFullError)
        services.metrics.refused(job.source, "queue_full" if full else "shutting_down")
        return None, messages.QUEUE_FULL if full else messages.SHUTTING_DOWN
    return position, messages.generating(job.request.n, position)
