"""The app processes sharing the database (``instances``), so that a restarted process can tell
a crashed peer's jobs from a live one's.

Each process registers itself with its host and pid and refreshes a heartbeat every
``heartbeat_s`` seconds. A process counts as dead when its heartbeat is older than
:data:`STALE_HEARTBEATS` beats, when it unregistered (clean close), or when it ran on this host
and its pid is gone or is ours (a restart).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.store.models import InstanceRow
from bot.store.quota import utc_now
from bot.tasks import cancel_and_wait

log = logging.getLogger(__name__)

I = cast(Table, InstanceRow.__table__)  # noqa: E741
HEARTBEAT_S = 30.0
STALE_HEARTBEATS = 4


class Instances:
    """This process's registration (``id``: 32 hex characters) and its view of its peers."""

    def __init__(self, engine: AsyncEngine, *, heartbeat_s: float = HEARTBEAT_S) -> None:
        self._engine = engine
        self._heartbeat_s = heartbeat_s
        self.id = uuid.uuid4().hex
        self._host = socket.gethostname()[:255]
        self._beating: asyncio.Task[None] | None = None

    async def register(self) -> None:
        """Register this process (or refresh its heartbeat) and start beating in the
        background. Database errors propagate."""
        await self._touch()
        if self._beating is None:
            self._beating = asyncio.create_task(self._beat(), name="imagine-store-heartbeat")

    async def unregister(self) -> None:
        """Stop beating and remove this process's row; a failure is logged, not raised."""
        await cancel_and_wait(self._beating)
        self._beating = None
        try:
            async with self._engine.begin() as conn:
                await conn.execute(delete(I).where(I.c.id == self.id))
        except (SQLAlchemyError, OSError) as exc:
            log.warning("could not unregister store instance %s: %s", self.id, exc)

    async def alive(self, conn: AsyncConnection, now: datetime) -> list[str]:
        """The ids of the live processes (this one first), read inside ``conn``."""
        stale = timedelta(seconds=self._heartbeat_s * STALE_HEARTBEATS)
        rows = (await conn.execute(select(I.c.id, I.c.host, I.c.pid, I.c.heartbeat_at))).all()
        alive = [self.id]
        for row in rows:
            if row.id == self.id or now - row.heartbeat_at > stale:
                continue
            if row.host == self._host and (row.pid == os.getpid() or not _pid_running(row.pid)):
                continue
            alive.append(row.id)
        return alive

    @staticmethod
    async def forget_all_but(conn: AsyncConnection, alive: list[str]) -> None:
        """Delete the rows of the processes not in ``alive`` (inside ``conn``)."""
        await conn.execute(delete(I).where(I.c.id.not_in(alive)))

    async def _touch(self) -> None:
        now = utc_now()
        async with self._engine.begin() as conn:
            result = await conn.execute(update(I).where(I.c.id == self.id).values(heartbeat_at=now))
            if not result.rowcount:
                await conn.execute(
                    insert(I).values(
                        id=self.id,
                        host=self._host,
                        pid=os.getpid(),
                        started_at=now,
                        heartbeat_at=now,
                    )
                )

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_s)
            try:
                await self._touch()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("store heartbeat failed (will retry): %s", exc)


def _pid_running(pid: int) -> bool:
    """Whether process ``pid`` on this host is alive: it exists and, where ``/proc`` tells
    (Linux, proc(5): state ``Z``), is not a zombie, a process that was killed and not yet
    reaped by its parent (its work is over)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rpartition(b")")[2].split()[:1]
    except OSError:
        return True  # no /proc here: existing counts as alive
    return state != [b"Z"]
