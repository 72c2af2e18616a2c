"""Telling people about jobs that a restart cut short, with a Regenerate button.

- At shutdown (SIGTERM): jobs still waiting, and running jobs past ``SHUTDOWN_GRACE_S``, are
  recorded as ``interrupted`` and their owners told at once.
- Each owner is told with their own workspace's bot token (``services.clients.for_team``); a
  workspace that has uninstalled the app is skipped.
- At start: rows a crashed process left ``queued`` or ``running`` are found by the store
  (:meth:`bot.store.interrupted.InterruptedJobs.claim`, each returned once) and their owners told.
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.delivery import notify, regenerate_blocks
from bot.errors import NotInstalledError
from bot.jobs import Destination, Job, JobResult
from bot.regenerate import regenerate_key
from bot.services import Services
from bot.store import InterruptedJob

log = logging.getLogger(__name__)


async def tell_unfinished(services: Services, jobs: list[Job]) -> None:
    """Record ``jobs`` as interrupted and tell each owner, with a Regenerate button."""

    async def tell(job: Job) -> None:
        await services.store.history.finished(job, outcome="interrupted", error=None)
        if job.watch is not None:  # its watcher (a workflow step) tells the requester
            job.watch.settle(JobResult("interrupted", error_text=messages.JOB_INTERRUPTED))
            return
        key = await regenerate_key(services.store.regenerate, job)
        text = messages.interrupted_notice(job.request.user_prompt)
        destination = job.destination
        client = await _client(services, destination.team_id, destination.enterprise_id)
        if client is not None:
            await notify(client, destination, text, regenerate_blocks(text, key))

    await asyncio.gather(*(tell(job) for job in jobs))


async def tell_interrupted_at_start(services: Services) -> int:
    """Tell the owners of jobs a previous process left unfinished; returns how many."""
    interrupted = await services.store.interrupted.claim()

    async def tell(job: InterruptedJob) -> None:
        client = await _client(services, job.team_id, job.enterprise_id)
        if client is not None:
            await _tell_owner(client, job)

    await asyncio.gather(*(tell(job) for job in interrupted))
    if interrupted:
        log.info("told %d owners of interrupted jobs", len(interrupted))
    return len(interrupted)


async def _client(
    services: Services, team_id: str, enterprise_id: str | None
) -> AsyncWebClient | None:
    try:
        return await services.clients.for_team(team_id, enterprise_id)
    except NotInstalledError:
        log.warning("cannot tell owners in team %s: Imagine is not installed there", team_id)
        return None


async def _tell_owner(client: AsyncWebClient, job: InterruptedJob) -> None:
    """An ephemeral message where the job was asked; if Slack refuses (the bot left the
    channel), a direct message from the app."""
    text = messages.interrupted_notice(job.prompt)
    blocks = regenerate_blocks(text, job.regenerate_key)
    destination = Destination(
        team_id=job.team_id, channel_id=job.channel_id, user_id=job.user_id, thread_ts=job.thread_ts
    )
    if await notify(client, destination, text, blocks):
        return
    try:
        await client.chat_postMessage(channel=job.user_id, text=text, blocks=blocks)
    except SlackApiError as exc:
        error = exc.response.get("error")
        log.error("could not tell %s about job %s: %s", job.user_id, job.job_id, error)
