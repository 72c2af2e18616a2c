"""The store: one database, one small class per stored concern.

- :attr:`Store.reservations` (:mod:`bot.store.reservations`): quota reservations before a job
  is queued, and their release.
- :attr:`Store.history` (:mod:`bot.store.history`): the pipeline's record of each job
  (:class:`bot.pipeline.JobRecorder`).
- :attr:`Store.reports` (:mod:`bot.store.reports`): usage and recent requests.
- :attr:`Store.regenerate` (:mod:`bot.store.regenerate_keys`): Regenerate button keys
  (:class:`bot.regenerate.RegenerateStore`).
- :attr:`Store.instances` (:mod:`bot.store.instances`): the processes sharing the database.
- :attr:`Store.interrupted` (:mod:`bot.store.interrupted`): dead processes' unfinished jobs.
- :attr:`Store.conversations` (:mod:`bot.store.conversations`): the turns of each thread
  (issue #8).
- :attr:`Store.journal` (:mod:`bot.store.journal`): accepted requests until they finish, and
  taking over those of processes that are gone (resume after a restart).
- :attr:`Store.workspace_settings` (:mod:`bot.store.workspace_settings`): each workspace's
  settings and their change history (issue #11).
- :attr:`Store.workflow_steps` (:mod:`bot.store.workflow_steps`): Workflow Builder step
  executions (issue #9).
- :attr:`Store.seen_posts` (:mod:`bot.store.seen_posts`): posts an instance already acted on
  (a mention arrives twice, and Slack retries events), across instances (issue #8).

Times are stored in UTC; the user's day and the workspace's month are UTC periods.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import database
from bot.store.conversations import ConversationStore
from bot.store.history import History
from bot.store.instances import HEARTBEAT_S, Instances
from bot.store.interrupted import InterruptedJobs
from bot.store.journal import Journal
from bot.store.pricing import PriceTable
from bot.store.regenerate_keys import RegenerateKeys
from bot.store.reports import Reports
from bot.store.reservations import Reservations
from bot.store.rows import JobRows, error_code
from bot.store.seen_posts import SeenPosts
from bot.store.workflow_steps import WorkflowSteps
from bot.store.workspace_settings import WorkspaceSettingsStore


class Store:
    """SQLAlchemy 2 (async) store on SQLite or PostgreSQL. Build it with :meth:`open`, close it
    with :meth:`close`.

    ``model`` and ``api`` are recorded on every row and ``model`` prices the estimates; one
    instance of the app uses one model (IMAGE_MODEL, IMAGE_API).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        prices: PriceTable,
        model: str,
        api: str,
        heartbeat_s: float,
        conversation_retention_days: int = 30,
    ) -> None:
        self.engine = engine
        self.instances = Instances(engine, heartbeat_s=heartbeat_s)
        rows = JobRows(prices=prices, model=model, api=api, instance_id=self.instances.id)
        self.reservations = Reservations(engine, rows)
        self.history = History(engine, rows)
        self.reports = Reports(engine)
        self.regenerate = RegenerateKeys(engine)
        self.interrupted = InterruptedJobs(
            engine, instances=self.instances, regenerate=self.regenerate
        )
        self.conversations = ConversationStore(engine, retention_days=conversation_retention_days)
        self.journal = Journal(engine, instances=self.instances)
        self.workspace_settings = WorkspaceSettingsStore(engine)
        self.workflow_steps = WorkflowSteps(engine, instances=self.instances)
        self.seen_posts = SeenPosts(engine)

    @classmethod
    async def open(
        cls,
        database_url: str | None,
        *,
        prices: PriceTable,
        model: str = "gpt-image-2",
        api: str = "responses",
        heartbeat_s: float = HEARTBEAT_S,
        conversation_retention_days: int = 30,
    ) -> Store:
        """Connect to ``database_url`` (``None``: SQLite ``./imagine.db``, created if missing),
        apply the Alembic migrations up to head, and register this process.
        ``conversation_retention_days`` is CONVERSATION_RETENTION_DAYS.

        Raises :class:`bot.errors.ConfigError` for an unsupported URL and SQLAlchemy's
        ``OperationalError`` (or the driver's ``OSError``) when the database cannot be reached.
        """
        engine = database.create_engine(database.resolve_url(database_url))
        store = cls(
            engine,
            prices=prices,
            model=model,
            api=api,
            heartbeat_s=heartbeat_s,
            conversation_retention_days=conversation_retention_days,
        )
        try:
            await database.upgrade(engine)
            await store.instances.register()
        except BaseException:
            await engine.dispose()
            raise
        return store

    @property
    def instance_id(self) -> str:
        """This process's id in the ``instances`` table (32 hex characters)."""
        return self.instances.id

    async def close(self) -> None:
        """Write the reservations in flight, unregister this process and close the connections.
        Rows this process leaves ``queued`` or ``running`` become interrupted jobs for the next
        start."""
        await self.reservations.flush()
        await self.conversations.close()
        await self.journal.flush()
        await self.instances.unregister()
        await self.workspace_settings.close()
        await self.engine.dispose()


__all__ = ["Store", "error_code"]
