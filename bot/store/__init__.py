"""Generation history, quotas and cost: SQLite by default, PostgreSQL for several instances.

- :class:`Store` (one small class per stored concern: reservations, history, reports,
  Regenerate keys, instances, interrupted jobs, conversations; see :mod:`bot.store.store`)
  records every request (who, where, what, model and API, status, timings, tokens, estimated cost),
  enforces the per-user daily image limit and the workspace's monthly budget atomically in the
  database, keeps the Regenerate keys, and reports usage.
- :class:`ConversationStore` (``Store.conversations``) keeps the turns of each thread
  (issue #8): which result, which images, which OpenAI responses, so that a reply in a
  result's thread edits it.
- :class:`InstallationStore` and :class:`OAuthStateStore` keep Slack installations and OAuth
  states (OAuth mode) in slack_sdk's table layout (:mod:`bot.store.installations`).
- :class:`PriceTable` is the one price table (:mod:`bot.store.pricing`), overridable with
  ``PRICES_JSON``.
- :class:`WorkspaceSettingsStore` keeps each workspace's settings and their change history.
- The schema is managed by Alembic (``bot/store/migrations``): :meth:`Store.open` upgrades to
  head at start; ``python -m bot.store upgrade`` does it by hand.

Settings (``bot.settings.Settings``, section "Store and quotas"): ``DATABASE_URL``,
``USER_DAILY_IMAGE_LIMIT``, ``MONTHLY_BUDGET_USD``, ``ADMIN_USER_IDS``, ``PRICES_JSON``.
"""

from bot.store.conversations import ConversationStore, Turn, TurnImage
from bot.store.installations import InstallationStore, OAuthStateStore
from bot.store.pricing import PriceTable
from bot.store.quota import QuotaExceededError, QuotaKind
from bot.store.records import (
    GenerationRecord,
    HistoryItem,
    InterruptedJob,
    TeamUsage,
    Totals,
    UserTotal,
    UserUsage,
)
from bot.store.store import Store
from bot.store.workspace_settings import SettingsChange, WorkspaceSettingsStore

__all__ = [
    "ConversationStore",
    "GenerationRecord",
    "HistoryItem",
    "InstallationStore",
    "InterruptedJob",
    "OAuthStateStore",
    "PriceTable",
    "QuotaExceededError",
    "QuotaKind",
    "SettingsChange",
    "Store",
    "TeamUsage",
    "Totals",
    "Turn",
    "TurnImage",
    "UserTotal",
    "UserUsage",
    "WorkspaceSettingsStore",
]
