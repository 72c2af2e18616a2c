"""The store's tables, as SQLAlchemy 2 typed ORM classes.

- :class:`GenerationRow` (``generations``): one row per request, written as ``queued`` before the
  provider is called and updated as the job runs. ``images`` and ``cost_micro`` are what the
  request is *charged* now: the reservation (``n`` images at the estimated price) until the
  generation is known, then what was generated, 0 when nothing was.
- :class:`UsageCounterRow` (``usage_counters``): running totals per (team, subject, period),
  where subject is ``user:<id>`` with a UTC day ``YYYY-MM-DD`` or ``team`` with a UTC month
  ``YYYY-MM``. Quotas are enforced on these rows with conditional upserts, so that the database,
  not a process, decides who gets the last slot. They always equal the sums of ``images`` and
  ``cost_micro`` over the matching generations.
- :class:`RegenerateKeyRow` (``regenerate_keys``): the request behind a Regenerate button.
- :class:`InstanceRow` (``instances``): the app processes using the database, with a heartbeat,
  so that a restarted process can tell a crashed peer's jobs from a live one's.

Times are UTC (:class:`UTCDateTime`); costs are integer micro-dollars (1 USD = 1,000,000).
Schema changes go through Alembic (``bot/store/migrations``), never ``create_all``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

SLACK_ID = 32


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC ``datetime`` on every backend: ``timestamptz`` on PostgreSQL, a
    naive UTC value on SQLite (which has no time zones). Naive input is refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC; SQLite gets it without ``tzinfo``. Raises ``ValueError`` for a
        naive datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("store times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """An aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""

    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class GenerationRow(Base):
    """One image request (see the module docstring for ``images`` and ``cost_micro``)."""

    __tablename__ = "generations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID))
    thread_ts: Mapped[str | None] = mapped_column(String(SLACK_ID))
    user_id: Mapped[str] = mapped_column(String(SLACK_ID))
    source: Mapped[str] = mapped_column(String(32))
    user_prompt: Mapped[str] = mapped_column(Text)
    prompt: Mapped[str] = mapped_column(Text)
    revised_prompts: Mapped[list[str] | None]
    options: Mapped[dict[str, Any]]
    model: Mapped[str] = mapped_column(String(64))
    api: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(128))
    n: Mapped[int] = mapped_column(Integer)
    generated: Mapped[int | None] = mapped_column(Integer)
    images: Mapped[int] = mapped_column(Integer)
    cost_micro: Mapped[int] = mapped_column(BigInteger)
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    total_tokens: Mapped[int | None] = mapped_column(Integer)
    queued_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    instance_id: Mapped[str] = mapped_column(String(32))
    # issue #8: the job an edit or variation started from
    parent_id: Mapped[str | None] = mapped_column(String(64))
    # the workspace's Enterprise Grid org, if any (issue #11: the token of an org-wide install)
    enterprise_id: Mapped[str | None] = mapped_column(String(SLACK_ID))

    __table_args__ = (
        Index("ix_generations_team_user_queued", "team_id", "user_id", "queued_at"),
        Index("ix_generations_team_queued", "team_id", "queued_at"),
        Index("ix_generations_status_instance", "status", "instance_id"),
    )


class UsageCounterRow(Base):
    """Images and micro-dollars charged to one subject in one period (module docstring)."""

    __tablename__ = "usage_counters"

    team_id: Mapped[str] = mapped_column(String(SLACK_ID), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    images: Mapped[int] = mapped_column(Integer)
    cost_micro: Mapped[int] = mapped_column(BigInteger)


class RegenerateKeyRow(Base):
    """A Regenerate button's key and the request it runs again (``request`` is
    :meth:`bot.request.ImageRequest.to_dict`; ``continues``, for an edit, variations or a
    request with people's images, what it starts from:
    :meth:`bot.regenerate.Continuation.to_dict`)."""

    __tablename__ = "regenerate_keys"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    channel_id: Mapped[str] = mapped_column(String(SLACK_ID))
    thread_ts: Mapped[str | None] = mapped_column(String(SLACK_ID))
    request: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    continues: Mapped[dict[str, Any] | None]


class InstanceRow(Base):
    """An app process using the database: where it runs and when it last said it was alive."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
