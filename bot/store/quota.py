"""Quota periods, the quota error, and the counter statements that enforce limits atomically.

Periods are UTC: a user's daily image count resets at the next UTC midnight, the workspace's
monthly budget on the first of the next UTC month.

Reservations are decided inside one transaction that first locks every counter row involved
(:func:`lock_counters`: rows created if missing, then ``SELECT … FOR UPDATE`` in key order on
PostgreSQL; on SQLite the ``BEGIN IMMEDIATE`` write transaction already excludes every other
writer), checks the limits against those locked, committed values, and adds what was accepted
(:func:`add_many`). Two instances can therefore never both take the last slot; locking in key
order (users before the workspace) keeps concurrent transactions from deadlocking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, cast

from sqlalchemy import Table, case, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import messages
from bot.errors import UserInputError
from bot.store.models import UsageCounterRow

QuotaKind = Literal["user_daily", "monthly_budget"]
TEAM_SUBJECT = "team"
COUNTERS = cast(Table, UsageCounterRow.__table__)


class QuotaExceededError(UserInputError):
    """A request would pass a quota; nothing was reserved and OpenAI was not called.

    ``kind`` is ``"user_daily"`` (``limit``/``used``/``requested`` are images) or
    ``"monthly_budget"`` (they are estimated USD); ``resets_at`` is when the period ends (aware
    UTC). ``text`` is the message for the user (:mod:`bot.messages`). It is a
    :class:`bot.errors.UserInputError`, so code that shows ``exc.text`` for bad input shows it too.
    """

    def __init__(
        self,
        kind: QuotaKind,
        limit: float,
        used: float,
        resets_at: datetime,
        *,
        requested: float | None = None,
    ) -> None:
        self.kind = kind
        self.limit = limit
        self.used = used
        self.resets_at = resets_at
        self.requested = requested
        if kind == "user_daily":
            text = messages.quota_user_daily(
                int(limit), int(used), resets_at, None if requested is None else int(requested)
            )
        else:
            text = messages.quota_monthly_budget(limit, used, resets_at, requested)
        super().__init__(text)


# --- Periods -------------------------------------------------------------------------------------


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def as_utc(when: datetime | None) -> datetime:
    """``when`` in UTC (``None``: now). Raises ``ValueError`` for a naive datetime."""
    if when is None:
        return utc_now()
    if when.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return when.astimezone(UTC)


def day_start(when: datetime) -> datetime:
    """Midnight UTC starting ``when``'s day."""
    return when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def next_day(when: datetime) -> datetime:
    """The next midnight UTC after ``when`` (when the daily limit resets)."""
    return day_start(when) + timedelta(days=1)


def month_start(when: datetime) -> datetime:
    """Midnight UTC on the first of ``when``'s month."""
    return day_start(when).replace(day=1)


def next_month(when: datetime) -> datetime:
    """Midnight UTC on the first of the month after ``when`` (when the budget resets)."""
    start = month_start(when)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def day_key(when: datetime) -> str:
    """``YYYY-MM-DD`` of ``when``'s UTC day (a counter period)."""
    return f"{when.astimezone(UTC):%Y-%m-%d}"


def month_key(when: datetime) -> str:
    """``YYYY-MM`` of ``when``'s UTC month (a counter period)."""
    return f"{when.astimezone(UTC):%Y-%m}"


def user_subject(user_id: str) -> str:
    """The counter subject of one user."""
    return f"user:{user_id}"


# --- Counters ------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class CounterKey:
    """One counter row. Sorting keys gives the order locks are taken in (users before the
    workspace), which keeps concurrent transactions from deadlocking on PostgreSQL."""

    rank: int
    team_id: str
    subject: str
    period: str

    @classmethod
    def user_day(cls, team_id: str, user_id: str, when: datetime) -> CounterKey:
        """The user's counter for ``when``'s UTC day."""
        return cls(0, team_id, user_subject(user_id), day_key(when))

    @classmethod
    def team_month(cls, team_id: str, when: datetime) -> CounterKey:
        """The workspace's counter for ``when``'s UTC month."""
        return cls(1, team_id, TEAM_SUBJECT, month_key(when))


async def add(conn: AsyncConnection, key: CounterKey, *, images: int, cost_micro: int) -> None:
    """Add (or, with negative numbers, take back) ``images`` and ``cost_micro`` on ``key``'s row
    without any limit."""
    await add_many(conn, {key: [images, cost_micro]})


def _dialect_insert(conn: AsyncConnection):  # type: ignore[no-untyped-def]
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


async def lock_counters(
    conn: AsyncConnection, keys: list[CounterKey]
) -> dict[CounterKey, list[int]]:
    """Create the rows of ``keys`` that do not exist yet, lock them all for this transaction
    (``SELECT … FOR UPDATE`` in key order on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already
    holds the database) and return ``{key: [images, cost_micro]}``. A fixed number of statements
    whatever the number of keys."""
    counter = COUNTERS
    if not keys:
        return {}
    await conn.execute(
        _dialect_insert(conn)(counter).on_conflict_do_nothing(
            index_elements=[counter.c.team_id, counter.c.subject, counter.c.period]
        ),
        [
            {
                "team_id": k.team_id,
                "subject": k.subject,
                "period": k.period,
                "images": 0,
                "cost_micro": 0,
            }
            for k in sorted(keys)
        ],
    )
    by_columns = {(k.team_id, k.subject, k.period): k for k in keys}
    rows = await conn.execute(
        select(
            counter.c.team_id,
            counter.c.subject,
            counter.c.period,
            counter.c.images,
            counter.c.cost_micro,
        )
        .where(tuple_(counter.c.team_id, counter.c.subject, counter.c.period).in_(list(by_columns)))
        .order_by(
            case((counter.c.subject == TEAM_SUBJECT, 1), else_=0),
            counter.c.team_id,
            counter.c.subject,
            counter.c.period,
        )
        .with_for_update()
    )
    return {
        by_columns[(row.team_id, row.subject, row.period)]: [row.images, row.cost_micro]
        for row in rows
    }


async def add_many(conn: AsyncConnection, deltas: dict[CounterKey, list[int]]) -> None:
    """Add each ``[images, cost_micro]`` of ``deltas`` to its key's row (created if missing), in
    one statement executed for every key, in key order."""
    counter = COUNTERS
    changes = [
        {
            "team_id": k.team_id,
            "subject": k.subject,
            "period": k.period,
            "images": d[0],
            "cost_micro": d[1],
        }
        for k, d in sorted(deltas.items())
        if d != [0, 0]
    ]
    if not changes:
        return
    values = _dialect_insert(conn)(counter)
    await conn.execute(
        values.on_conflict_do_update(
            index_elements=[counter.c.team_id, counter.c.subject, counter.c.period],
            set_={
                "images": counter.c.images + values.excluded.images,
                "cost_micro": counter.c.cost_micro + values.excluded.cost_micro,
            },
        ),
        changes,
    )


__all__ = [
    "CounterKey",
    "QuotaExceededError",
    "QuotaKind",
    "add",
    "add_many",
    "lock_counters",
    "as_utc",
    "day_key",
    "day_start",
    "month_key",
    "month_start",
    "next_day",
    "next_month",
    "utc_now",
]
