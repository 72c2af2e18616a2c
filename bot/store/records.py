"""What the store hands back: plain frozen dataclasses, no database objects.

Costs are estimated USD (``float``) from :mod:`bot.store.pricing`; times are aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.request import ImageRequest


@dataclass(frozen=True)
class Totals:
    """Images charged, their estimated cost and the requests counted (refused ones are not)."""

    images: int = 0
    cost_usd: float = 0.0
    requests: int = 0


@dataclass(frozen=True)
class UserUsage:
    """One user's usage: ``today`` (this UTC day) and ``month`` (this UTC month), and when each
    period ends."""

    team_id: str
    user_id: str
    today: Totals
    month: Totals
    day_resets_at: datetime
    month_resets_at: datetime
    month_by_source: dict[str, int] = field(default_factory=dict)  # requests this month


@dataclass(frozen=True)
class UserTotal:
    """A user's month in the workspace summary."""

    user_id: str
    images: int
    cost_usd: float


@dataclass(frozen=True)
class TeamUsage:
    """The workspace's UTC month: totals, the ``top_users`` by images (then cost), how many
    users generated anything, and the budget (``None`` when MONTHLY_BUDGET_USD is unset) with
    what is left of it (never below 0)."""

    team_id: str
    month: Totals
    top_users: list[UserTotal] = field(default_factory=list)
    active_users: int = 0
    budget_usd: float | None = None
    budget_left_usd: float | None = None
    resets_at: datetime | None = None


@dataclass(frozen=True)
class HistoryItem:
    """One past request of a user, newest first in :meth:`bot.store.reports.Reports.recent`:
    the prompt they wrote, where (channel and thread), when it was queued, its status and images."""

    job_id: str
    prompt: str
    channel_id: str
    thread_ts: str | None
    queued_at: datetime
    status: str
    images: int
    cost_usd: float
    source: str
    parent_id: str | None = None  # issue #8: the job an edit or variation started from
    parent_prompt: str | None = None  # and the prompt that job's person wrote


@dataclass(frozen=True)
class InterruptedJob:
    """A job that a crashed or stopped process left unfinished, returned once by
    :meth:`bot.store.interrupted.InterruptedJobs.claim`; ``regenerate_key`` is a stored
    Regenerate key for a button that runs ``request`` again in the same place."""

    job_id: str
    team_id: str
    channel_id: str
    user_id: str
    thread_ts: str | None
    prompt: str
    request: ImageRequest
    regenerate_key: str
    queued_at: datetime
    enterprise_id: str | None = None


@dataclass(frozen=True)
class GenerationRecord:
    """Everything recorded about one request (the ``generations`` row)."""

    job_id: str
    team_id: str
    channel_id: str
    thread_ts: str | None
    user_id: str
    source: str
    user_prompt: str
    prompt: str
    revised_prompts: list[str] | None
    options: dict[str, object]
    model: str
    api: str
    status: str
    error_code: str | None
    n: int
    generated: int | None
    images: int
    cost_usd: float
    input_tokens: int | None
    output_tokens: int | None
    total_tokens: int | None
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    parent_id: str | None = None  # issue #8: the job an edit or variation started from
    enterprise_id: str | None = None
