"""The effective settings of a request: the environment's :class:`bot.settings.Settings` with the
workspace's (and its Enterprise Grid organisation's) overrides from the database on top.

A change saved on any instance applies to the next request on every instance, with no restart:
settings are read from the database (one primary-key lookup) for each request. Requests for the
same workspace that arrive while its read is in flight share that read, so a burst of commands
costs a few queries, not one each, and the ack path stays fast (500 commands spread over 300 ms
made 40 reads). WORKSPACE_SETTINGS_CACHE_S (default 0, at most 5) lets an instance reuse an
answer for that many seconds instead; a save on this instance forgets its answers at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings
from bot.store.workspace_settings import WorkspaceSettingsStore, scopes_of
from bot.workspace import fields

log = logging.getLogger(__name__)

Key = tuple[str, str]
MAX_CACHED = 10_000


class SettingsResolver:
    """``await resolver.settings_for(team_id, enterprise_id)`` -> :class:`Settings`.

    ``base`` is the environment's settings, ``store`` the database, ``ttl_s`` how long an answer
    may be reused, ``clock`` a monotonic clock in seconds (tests pass their own).
    """

    def __init__(
        self,
        base: Settings,
        store: WorkspaceSettingsStore,
        *,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base = base
        self.store = store
        self._ttl_s = ttl_s
        self._clock = clock
        self._cached: dict[Key, tuple[float, Settings]] = {}
        self._reading: dict[Key, asyncio.Future[Settings]] = {}

    async def settings_for(
        self, team_id: str | None, enterprise_id: str | None = None, *, fresh: bool = False
    ) -> Settings:
        """The effective settings for a request from ``team_id`` (and ``enterprise_id`` on
        Enterprise Grid). ``fresh`` skips the cache (the Settings modal reads this way).

        Raises SQLAlchemy's errors when the database cannot be read and no earlier answer for
        the workspace is known (one is then reused, with a warning)."""
        key = (team_id or "", enterprise_id or "")
        if not key[0] and not key[1]:
            return self.base
        cached = self._cached.get(key)
        if fresh:
            return await self._read(key, None)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(self._read(key, cached))
            self._reading[key] = reading
            reading.add_done_callback(lambda _: self._reading.pop(key, None))
        return await asyncio.shield(reading)

    async def _read(self, key: Key, cached: tuple[float, Settings] | None) -> Settings:
        try:
            layers = await self.store.overrides(scopes_of(key[0] or None, key[1] or None))
        except (SQLAlchemyError, OSError) as exc:
            if cached is None:
                raise
            log.warning("could not read the settings of %s (reusing the last): %s", key[0], exc)
            return cached[1]
        settings = fields.apply(self.base, *layers)
        if self._ttl_s > 0:
            if len(self._cached) >= MAX_CACHED:
                self._cached.clear()
            self._cached[key] = (self._clock() + self._ttl_s, settings)
        return settings

    def forget(self) -> None:
        """Drop every cached answer (after a save on this instance)."""
        self._cached.clear()
