"""What a Regenerate button refers to.

A button's ``value`` is capped at 2000 characters (platform.md, "Modals"), so it holds a short
random key; the request and the place it was posted are kept by a :class:`RegenerateStore` (the
database store, :class:`bot.store.Store`, so buttons survive restarts), keyed by it. An unknown
key tells the user the button expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.jobs import Job
from bot.request import ImageRequest


@dataclass(frozen=True)
class RegenerateEntry:
    """The request to run again and where its images went (``thread_ts`` may be ``None``)."""

    request: ImageRequest
    team_id: str
    channel_id: str
    thread_ts: str | None

    @classmethod
    def of(cls, job: Job) -> RegenerateEntry:
        """The entry that runs ``job``'s request again where its images went."""
        destination = job.destination
        return cls(
            request=job.request,
            team_id=destination.team_id,
            channel_id=destination.channel_id,
            thread_ts=destination.thread_ts,
        )


class RegenerateStore(Protocol):
    """Keeps :class:`RegenerateEntry` values under short keys (at most 22 URL-safe characters)."""

    async def put(self, entry: RegenerateEntry) -> str:
        """Keep ``entry``; return its new key."""

    async def get(self, key: str) -> RegenerateEntry | None:
        """The entry under ``key``; ``None`` when unknown or forgotten."""
