"""Helpers shared by the listeners."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from bot import messages
from bot.cancel import cancel_blocks
from bot.errors import QueueFullError, ShuttingDownError
from bot.jobs import Job
from bot.resume import forget, journal_entry, persist
from bot.services import Services
from bot.settings import Settings
from bot.store import QuotaExceededError
from bot.store.workspace_settings import enterprise_scope, team_scope
from bot.workspace.fields import channel_allowed

SERVICES_KEY = "imagine"


def services_of(context: AsyncBoltContext) -> Services:
    """The :class:`Services` the app's middleware put in ``context``."""
    return context[SERVICES_KEY]  # type: ignore[no-any-return]


async def settings_of(services: Services, context: AsyncBoltContext) -> Settings:
    """The effective settings of the request in ``context`` (its workspace's, over the
    environment's): :meth:`bot.services.Services.settings_for`."""
    return await services.settings_for(context.get("team_id"), context.get("enterprise_id"))


def settings_scope(context: AsyncBoltContext) -> str:
    """The scope an admin's Settings modal edits: the organisation's for an Enterprise Grid
    org-wide install, else the workspace's (:mod:`bot.store.workspace_settings`)."""
    enterprise_id = context.get("enterprise_id")
    if context.get("is_enterprise_install") and enterprise_id:
        return enterprise_scope(str(enterprise_id))
    return team_scope(str(context.get("team_id") or ""))


def channel_refusal(settings: Settings, channel_id: str) -> str | None:
    """The message for a request in ``channel_id`` when the workspace does not allow Imagine
    there, else ``None``."""
    if channel_allowed(settings, channel_id):
        return None
    return messages.channel_not_allowed(settings.allowed_channel_ids)


async def enqueue(
    services: Services, job: Job, settings: Settings | None = None
) -> tuple[int | None, str]:
    """Check the allowed channels and the quotas, and submit ``job``.

    ``settings`` are the request's effective settings; when not given they are read for
    ``job.destination.team_id``. Returns ``(position, text for the user)``: position 0 when it
    started, k when k-th in line, ``None`` when refused (a channel the workspace does not allow,
    over a quota, queue full, shutting down), with the text saying which.
    Show an accepted job's text with :func:`ack_blocks` (its Cancel button).

    With a quota configured (USER_DAILY_IMAGE_LIMIT or MONTHLY_BUDGET_USD) the request is
    reserved and recorded here, so the ack can say why it is refused; a job the queue then
    refuses gives its reservation back. Every accepted request is written to the journal
    before it is queued, so that a restart resumes it: in its reservation's transaction, or
    else by :func:`bot.resume.persist` (group commits either way: a burst costs a few
    transactions); its history row is written when it starts, still
    before OpenAI is called (:meth:`bot.store.history.History.started`).
    """
    if settings is None:
        destination = job.destination
        enterprise_id = getattr(destination, "enterprise_id", None)
        settings = await services.settings_for(destination.team_id, enterprise_id)
    if not services.jobs.accepting:
        services.metrics.refused(job.source, "shutting_down")
        return None, messages.SHUTTING_DOWN
    if refusal := channel_refusal(settings, job.destination.channel_id):
        services.metrics.refused(job.source, "channel")
        return None, refusal
    quotas = settings.user_daily_image_limit is not None or settings.monthly_budget_usd is not None
    if quotas:  # the reservation and the journal entry: one transaction
        try:
            await services.store.reservations.check_and_reserve(
                job,
                user_daily_image_limit=settings.user_daily_image_limit,
                monthly_budget_usd=settings.monthly_budget_usd,
                admin_user_ids=frozenset(settings.admin_user_ids),
                journal_entry=journal_entry(services, job),
            )
        except QuotaExceededError as exc:
            services.metrics.refused(job.source, "quota")
            return None, exc.text
    else:
        await persist(services, job)  # before it can start: a restart must find it
    try:
        position = services.jobs.submit(job)
    except (QueueFullError, ShuttingDownError) as exc:
        await forget(services, job)
        if quotas:
            await services.store.reservations.release(job)
        full = isinstance(exc, QueueFullError)
        services.metrics.refused(job.source, "queue_full" if full else "shutting_down")
        return None, messages.QUEUE_FULL if full else messages.SHUTTING_DOWN
    services.threads.making(job)  # a reply in its thread continues from it
    running = services.jobs.running_for(job.owner)
    if position > 0 and running >= settings.max_jobs_per_user:
        return position, messages.waiting_own_jobs(job.request.n, position, running)
    return position, messages.generating(job.request.n, position)


def ack_blocks(job: Job, position: int | None, text: str) -> list[dict[str, Any]] | None:
    """The ack's blocks: ``text`` with a Cancel button for an accepted job (``position`` not
    ``None``), else ``None`` (plain text)."""
    return None if position is None else cancel_blocks(text, job.id)
