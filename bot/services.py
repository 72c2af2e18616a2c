"""The objects the listeners share, built once from :class:`bot.settings.Settings`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import aiohttp
import httpx
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.capabilities import capabilities_for
from bot.clients import SlackClients
from bot.dedup import RecentIds
from bot.jobs import JobQueue
from bot.metrics import Metrics
from bot.openai import ImageBackend, ImagesBackend, OpenAIClient, ResponsesBackend
from bot.openai.model_check import ModelNotice
from bot.openai.pacing import Pacer
from bot.pipeline import Pipeline
from bot.settings import Settings
from bot.shares import ShareTracker
from bot.store import InstallationStore, PriceTable, Store
from bot.threads import Threads
from bot.workflow.running import RunningSteps
from bot.workspace.admins import AdminCheck
from bot.workspace.resolver import SettingsResolver

SLACK_TIMEOUT_S = 30
SLACK_RATE_LIMIT_RETRIES = 3
SLACK_SERVER_ERROR_RETRIES = 2
SLACK_CONNECTION_RETRIES = 2


@dataclass
class Services:
    """Everything a listener needs: settings, the Slack Web API client, the OpenAI client and
    backend, the pacer that admits OpenAI image calls, the job queue, the store (history,
    quotas, Regenerate keys, accepted requests, conversations), the conversation threads
    (issue #8), the recent event ids and the recent posts (``channel:ts``: a mention in a
    channel the app is in arrives as ``app_mention`` and as ``message``), the per-workspace
    settings (``workspaces``) and the admin check (``admins``), the app's Prometheus metrics
    (``GET /metrics``), the start-up model check's notices (shown to admins on the Home tab),
    and the workflow steps running (issue #9).

    ``settings`` are the environment's; a request's own are :meth:`settings_for` its
    workspace. ``slack`` carries ``SLACK_BOT_TOKEN`` in single-workspace mode and no token in
    OAuth mode; background work gets the client of a job's workspace from
    ``clients.for_team(team_id, enterprise_id)``. ``installations`` is the installation store in
    OAuth mode, else ``None``.
    """

    settings: Settings
    slack: AsyncWebClient
    clients: SlackClients
    installations: InstallationStore | None
    openai: OpenAIClient
    backend: ImageBackend
    pipeline: Pipeline
    pacer: Pacer
    jobs: JobQueue
    store: Store
    recent_events: RecentIds
    threads: Threads
    recent_posts: RecentIds
    workspaces: SettingsResolver
    admins: AdminCheck
    metrics: Metrics = field(default_factory=Metrics)
    model_notices: list[ModelNotice] = field(default_factory=list)
    steps: RunningSteps = field(default_factory=RunningSteps)

    async def settings_for(self, team_id: str | None, enterprise_id: str | None = None) -> Settings:
        """The effective settings of a request from ``team_id`` (``enterprise_id`` on
        Enterprise Grid): the environment's, with the organisation's and then the workspace's
        overrides from the database on top (:mod:`bot.workspace.resolver`)."""
        return await self.workspaces.settings_for(team_id, enterprise_id)

    async def aclose(self) -> None:
        """Stop the background lookups; close the HTTP connection pools and the database."""
        await self.threads.aclose()
        await self.openai.aclose()
        if self.slack.session is not None:
            await self.slack.session.close()
        await self.store.close()


def slack_client(settings: Settings) -> AsyncWebClient:
    """An ``AsyncWebClient`` for ``SLACK_API_URL`` that retries 429 after ``Retry-After``,
    5xx and connection errors a bounded number of times (slack_sdk's own async handlers), on one
    shared aiohttp session so that connections (and their TLS handshakes) are reused; without
    it slack_sdk opens a session per call. It carries ``SLACK_BOT_TOKEN``, or no token in OAuth
    mode. Call inside a running event loop."""
    token = settings.slack_bot_token
    return AsyncWebClient(
        token=token.get_secret_value() if token is not None else None,
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_S,
        session=aiohttp.ClientSession(),
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=SLACK_RATE_LIMIT_RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=SLACK_SERVER_ERROR_RETRIES),
            AsyncConnectionErrorRetryHandler(max_retry_count=SLACK_CONNECTION_RETRIES),
        ],
    )


async def open_services(
    settings: Settings,
    *,
    slack: AsyncWebClient | None = None,
    http: httpx.AsyncClient | None = None,
) -> Services:
    """Open the store (migrating the database to the latest schema) and build
    :class:`Services` around it; tests may pass their own Slack client or httpx client.

    Raises :class:`bot.errors.ConfigError` when ``PRICES_JSON`` is malformed; database errors
    propagate from SQLAlchemy.
    """
    store = await Store.open(
        settings.database_url,
        prices=PriceTable.from_json(settings.prices_json),
        model=settings.image_model,
        api=settings.image_api,
        conversation_retention_days=settings.conversation_retention_days,
    )
    store.conversations.start_cleanup()
    return build_services(settings, store=store, slack=slack, http=http)


def build_services(
    settings: Settings,
    *,
    store: Store,
    slack: AsyncWebClient | None = None,
    http: httpx.AsyncClient | None = None,
) -> Services:
    """Build :class:`Services` around an open ``store``. Must be called inside a running event
    loop (the job queue creates asyncio tasks)."""
    slack = slack or slack_client(settings)
    installations: InstallationStore | None = None
    rotator: AsyncTokenRotator | None = None
    if settings.oauth:
        assert settings.slack_client_id and settings.slack_client_secret
        installations = InstallationStore(settings.slack_client_id, store.engine)
        rotator = AsyncTokenRotator(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            client=slack,
        )
    clients = SlackClients(slack, installations, rotator)
    metrics = Metrics()
    pacer = Pacer(images_per_minute=settings.openai_images_per_minute)
    openai = OpenAIClient(
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        timeout_s=settings.openai_timeout_s,
        connect_timeout_s=settings.openai_connect_timeout_s,
        max_retries=settings.openai_max_retries,
        max_backoff_s=settings.openai_max_backoff_s,
        max_download_bytes=settings.max_image_download_bytes,
        http=http,
        pacer=pacer,
        metrics=metrics,
    )
    caps = capabilities_for(settings.image_model)
    threads = Threads(
        store.conversations, ShareTracker(store.conversations.located), model=caps.name
    )
    backend: ImageBackend
    if settings.image_api == "responses":
        backend = ResponsesBackend(
            openai, model=settings.responses_model, caps=caps, moderation=settings.moderation
        )
    else:
        backend = ImagesBackend(openai, caps=caps, moderation=settings.moderation)
    pipeline = Pipeline(
        clients=clients,
        backend=backend,
        regenerate=store.regenerate,
        model=caps.name,
        job_timeout_s=settings.job_timeout_s,
        payload_slots=asyncio.Semaphore(settings.max_payloads_in_memory),
        recorder=store.history,
        threads=threads,
        metrics=metrics,
        prices=PriceTable.from_json(settings.prices_json),
        pacer=pacer,
        max_wait_s=settings.max_wait_s,
        journal=store.journal,
    )
    jobs = JobQueue(
        pipeline.run,
        max_running=settings.max_concurrent_jobs,
        max_waiting=settings.max_queued_jobs,
        max_per_user=settings.max_jobs_per_user,
    )
    metrics.watch_queue(lambda: jobs.running, lambda: jobs.waiting)
    metrics.waiting_for_capacity.set_function(lambda: pacer.waiting_jobs)
    return Services(
        settings=settings,
        slack=slack,
        clients=clients,
        installations=installations,
        openai=openai,
        backend=backend,
        pipeline=pipeline,
        pacer=pacer,
        jobs=jobs,
        store=store,
        recent_events=RecentIds(),
        threads=threads,
        recent_posts=RecentIds(),
        workspaces=SettingsResolver(
            settings,
            store.workspace_settings,
            ttl_s=settings.workspace_settings_cache_s,
        ),
        admins=AdminCheck(ttl_s=settings.workspace_admin_cache_s),
        metrics=metrics,
    )
