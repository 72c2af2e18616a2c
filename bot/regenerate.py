"""What a Regenerate button refers to.

A button's ``value`` is capped at 2000 characters (platform.md, "Modals"), so it holds a short
random key; the request and the place it was posted are kept here, keyed by it. The in-memory
store is bounded: the oldest keys are forgotten first, and a forgotten key tells the user the
button expired.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from bot.request import ImageRequest


@dataclass(frozen=True)
class RegenerateEntry:
    """The request to run again and where its images went (``thread_ts`` may be ``None``)."""

    request: ImageRequest
    team_id: str
    channel_id: str
    thread_ts: str | None


class RegenerateStore(Protocol):
    """Keeps :class:`RegenerateEntry` values under short keys (at most 22 URL-safe characters)."""

    async def put(self, entry: RegenerateEntry) -> str: ...

    async def get(self, key: str) -> RegenerateEntry | None: ...


class MemoryRegenerateStore:
    """A bounded, least-recently-used :class:`RegenerateStore` held in this process."""

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[str, RegenerateEntry] = OrderedDict()

    async def put(self, entry: RegenerateEntry) -> str:
        """Store ``entry`` and return its new key; evicts the least recently used beyond the
        bound."""
        key = secrets.token_urlsafe(12)
        self._entries[key] = entry
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return key

    async def get(self, key: str) -> RegenerateEntry | None:
        """The entry under ``key``, or ``None`` when unknown or forgotten."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def __len__(self) -> int:
        return len(self._entries)
