"""Cancel from any instance (issue #10).

Slack sends a Cancel click to whichever instance it reaches. The instance running the request
cancels it at once (:func:`cancel_job`). Any other instance marks it in the journal
(:meth:`bot.store.journal.Journal.request_cancel`); the instance running it finds the mark
within ``CANCEL_POLL_S`` seconds (:func:`watch_cancel_requests`) and cancels it there. From the
moment it is marked the journal refuses to let it post its images
(:meth:`bot.store.journal.Journal.delivering`), so "Cancelled. Nothing was posted." is true as
soon as the owner reads it. A request marked while its process is gone is dropped by whichever
instance claims it (:meth:`bot.store.journal.Journal.claim`).
"""

from __future__ import annotations

import asyncio
import logging

from bot.jobs import CancelResult, Job
from bot.resume import forget
from bot.services import Services

log = logging.getLogger(__name__)

CANCEL_POLL_S = 2.0


async def cancel_job(services: Services, job: Job) -> CancelResult | None:
    """Cancel ``job`` in this process (its owner was checked): a waiting job leaves the line
    and is recorded ``cancelled`` here, its reservation given back; a running one is stopped
    and the pipeline records it. Returns what :meth:`bot.jobs.JobQueue.cancel` did (``None``:
    it had already ended)."""
    result = services.jobs.cancel(job.id)
    if result == "waiting":  # a running job records its own end (bot.pipeline)
        services.threads.settled(job)  # a follow-up waiting for it goes on
        await services.store.history.finished(job, outcome="cancelled", error=None)
        await forget(services, job)
        services.metrics.requests.labels(job.source, "cancelled").inc()
    if result is not None:
        log.info("job %s cancelled by its owner while %s", job.id, result)
    return result


async def watch_cancel_requests(services: Services, interval_s: float = CANCEL_POLL_S) -> None:
    """Every ``interval_s`` seconds, cancel this process's requests whose owner pressed Cancel
    on another instance. Runs until cancelled; errors are logged and the next round retries."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            for job_id in await services.store.journal.cancel_requested():
                job = services.jobs.get(job_id)
                if job is not None and not job.control.cancelled:
                    await cancel_job(services, job)
        except Exception:
            log.exception("checking for cancel requests failed (will retry)")
