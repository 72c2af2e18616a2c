"""The table of Workflow Builder step executions (issue #9), beside the store's own in
:mod:`bot.store.models` (same ``Base``, so Alembic sees it; created by migration 0003).

:class:`WorkflowStepRow` (``workflow_steps``): one row per ``function_execution_id`` this app
took on, so that a retried ``function_executed`` event runs once on any instance, and so that a
step a crash interrupted can be failed at the next start. ``execution_token`` is the step's
short-lived ``xwfp-`` token, kept only while the step runs (``functions.completeError`` needs
it) and cleared when it ends.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import SLACK_ID, Base

EXECUTION_ID = 64


class WorkflowStepRow(Base):
    """One execution of the "Generate images" step: ``status`` is ``running``, ``completed``,
    ``failed`` or ``interrupted``; ``instance_id`` the process that runs it."""

    __tablename__ = "workflow_steps"

    execution_id: Mapped[str] = mapped_column(String(EXECUTION_ID), primary_key=True)
    event_id: Mapped[str | None] = mapped_column(String(EXECUTION_ID))
    team_id: Mapped[str] = mapped_column(String(SLACK_ID))
    job_id: Mapped[str | None] = mapped_column(String(64))
    instance_id: Mapped[str] = mapped_column(String(32))
    execution_token: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_workflow_steps_status_instance", "status", "instance_id"),)
