"""The table of accepted requests (issue #10), beside the store's own in
:mod:`bot.store.models` (same ``Base``; created by migration 0005).

:class:`AcceptedJobRow` (``accepted_jobs``): one row per request accepted and not finished yet,
written when it is accepted (before the ack), so that a restart loses nothing. ``payload`` is
:func:`bot.job_payload.payload_of`, ``resumable`` whether the job can be rebuilt from it (not
when its inputs lived only in memory); ``state`` is
``waiting`` (not started, or interrupted before its images were posted) or ``delivering`` (its
images were being posted: never run again); ``instance_id`` is the process responsible for it,
``resumes`` how often it was picked up again after a restart, and ``cancel_requested`` whether
its owner pressed Cancel on an instance that is not running it (migration 0007).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import SLACK_ID, Base


class AcceptedJobRow(Base):
    """An accepted, unfinished request (see the module docstring)."""

    __tablename__ = "accepted_jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    user_id: Mapped[str] = mapped_column(String(SLACK_ID))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    resumable: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))
    instance_id: Mapped[str] = mapped_column(String(32))
    accepted_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    resumes: Mapped[int] = mapped_column(Integer)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (Index("ix_accepted_jobs_instance", "instance_id", "accepted_at"),)
