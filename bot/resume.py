"""Nothing lost on restart: accepted requests are written before their ack and picked up again
after a restart or a crash (issue #10).

- :func:`persist`: on the ack path, the request goes into the journal
  (:mod:`bot.store.journal`, group commit) before it is queued.
- :func:`resume_orphans`: at start, and every ``RESUME_SCAN_S`` seconds, requests of processes
  that are gone are taken over (on PostgreSQL by whichever instance claims them first; each by
  one): those waiting or interrupted before their images were posted, accepted at most
  ``RESUME_MAX_AGE_S`` ago and rebuildable, run again here and their owners are told "resumed
  after a restart"; the others get the Regenerate notice (:mod:`bot.recovery`).
- :func:`hand_over`: at shutdown, unfinished requests that can resume stay in the journal for
  the next process (or a peer); only the rest get the Regenerate notice now.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.cancel import cancel_blocks
from bot.delivery import notify, regenerate_blocks
from bot.edits import with_inputs_again
from bot.errors import NotInstalledError, QueueFullError, ShuttingDownError, UserInputError
from bot.job_payload import job_from, needs_inputs, payload_of
from bot.jobs import Job
from bot.recovery import tell_interrupted_at_start, tell_unfinished
from bot.regenerate import regenerate_key
from bot.services import Services
from bot.store.journal import ClaimedJob

log = logging.getLogger(__name__)

RESUME_SCAN_S = 10.0


def journal_entry(services: Services, job: Job) -> dict[str, Any]:
    """The journal row of the accepted ``job`` (:meth:`bot.store.journal.Journal.entry`), for
    :func:`persist` or for a writer that commits it with its own rows (the quota reservation);
    remembers whether the job can resume after a restart."""
    payload, resumable = payload_of(job)
    job.control.resumable = resumable
    destination = job.destination
    return services.store.journal.entry(
        job.id,
        team_id=destination.team_id,
        user_id=destination.user_id,
        payload=payload,
        resumable=resumable,
    )


async def persist(services: Services, job: Job) -> None:
    """Write the accepted ``job`` to the journal (returns once committed) and remember whether
    it can resume after a restart. Database errors propagate."""
    await services.store.journal.accept(journal_entry(services, job))


async def forget(services: Services, job: Job) -> None:
    """The job will not run (refused, cancelled while waiting): drop it from the journal."""
    await _drop(services, job.id)


async def _drop(services: Services, job_id: str) -> None:
    try:
        await services.store.journal.done(job_id)
    except Exception:  # the next claim finds it and tells its owner; nothing is lost
        log.exception("could not drop job %s from the journal", job_id)


async def resume_orphans(services: Services) -> int:
    """Take over the requests of processes that are gone; returns how many resumed here."""
    claim = await services.store.journal.claim(max_age_s=services.settings.resume_max_age_s)
    resumed = 0
    lost = list(claim.lost)
    for claimed in claim.resume:
        job = job_from(claimed.payload)
        if job is not None and needs_inputs(job):
            job = await _with_inputs(services, job)
        if job is None:  # claimed, but it cannot run: out of the journal, its owner is told
            await _drop(services, claimed.job_id)
            lost.append(claimed)
            continue
        job.control.resumable = True
        try:
            services.jobs.submit(job)
        except (QueueFullError, ShuttingDownError):
            await forget(services, job)
            lost.append(claimed)
            continue
        resumed += 1
        text = messages.resumed_notice(job.request.user_prompt)
        client = await _client_for(services, job)
        if client is not None:
            await notify(client, job.destination, text, cancel_blocks(text, job.id))
    await asyncio.gather(*(_tell_lost(services, c) for c in lost if not c.noticed_elsewhere))
    if resumed or lost:
        log.info("after a restart: %d requests resumed, %d could not be", resumed, len(lost))
    return resumed


async def _tell_lost(services: Services, claimed: ClaimedJob) -> None:
    """The Regenerate notice for a request that will not run again (too old, not rebuildable,
    interrupted while its images were being posted)."""
    if claimed.payload.get("source") == "workflow":
        return  # its workflow step is failed by bot.workflow, which tells the requester
    payload = {k: v for k, v in claimed.payload.items() if k != "inputs"}  # only to tell
    job = job_from(payload)
    if job is None:
        log.warning("job %s cannot be read back; its owner is not told", claimed.job_id)
        return
    await services.store.history.finished(job, outcome="interrupted", error=None)
    key = await regenerate_key(services.store.regenerate, job)
    text = messages.interrupted_notice(job.request.user_prompt)
    client = await _client_for(services, job)
    if client is not None:
        await notify(client, job.destination, text, regenerate_blocks(text, key))


async def _with_inputs(services: Services, job: Job) -> Job | None:
    """``job`` with the inputs of an edit, variations or people's images made again
    (:func:`bot.edits.with_inputs_again`); ``None`` when they cannot be (the image it started
    from is no longer kept, or the workspace is gone)."""
    client = await _client_for(services, job)
    if client is None:
        return None
    destination = job.destination
    settings = await services.settings_for(destination.team_id, destination.enterprise_id)
    try:
        return await with_inputs_again(
            job, client=client, settings=settings, threads=services.threads
        )
    except UserInputError as exc:
        log.info("job %s cannot resume: %s", job.id, exc)
        return None


async def _client_for(services: Services, job: Job) -> AsyncWebClient | None:
    """The Slack client of ``job``'s workspace; ``None`` (logged) when it is not installed."""
    destination = job.destination
    try:
        return await services.clients.for_team(
            destination.team_id, getattr(destination, "enterprise_id", None)
        )
    except NotInstalledError:
        log.warning("workspace %s is not installed; job %s is dropped", destination.team_id, job.id)
        return None


async def resume_loop(services: Services, interval_s: float = RESUME_SCAN_S) -> None:
    """Every ``interval_s`` seconds, take over what processes that are gone left (a peer that
    crashed while this one runs). Runs until cancelled; errors are logged."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await resume_orphans(services)
            await tell_interrupted_at_start(services)
        except Exception:
            log.exception("resuming orphaned requests failed (will retry)")


async def hand_over(services: Services, unfinished: list[Job]) -> int:
    """At shutdown: leave the unfinished jobs that can resume in the journal (the next process
    or a peer runs them; not those already older than RESUME_MAX_AGE_S) and tell the owners
    of the others. Returns how many were handed over."""
    max_age_s = services.settings.resume_max_age_s
    kept = [
        job
        for job in unfinished
        if job.control.resumable
        and not job.control.delivering
        and time.monotonic() - job.created_at < max_age_s
    ]
    told = [job for job in unfinished if job not in kept]
    await tell_unfinished(services, told)
    await asyncio.gather(*(forget(services, job) for job in told))
    if kept:
        log.info("%d unfinished requests kept for the next start", len(kept))
    return len(kept)
