"""Remembering recent Slack event ids, so that a retried event never generates twice.

Slack retries an event it thinks was not acknowledged in 3 s (immediately, after 1 minute, after
5 minutes) with the same ``event_id`` (platform.md, "Events").
"""

from __future__ import annotations

import time
from collections import OrderedDict


class RecentIds:
    """A bounded set of ids seen in the last ``ttl_s`` seconds (default 1 hour, longer than
    Slack's retry schedule), holding at most ``max_size`` ids."""

    def __init__(self, *, max_size: int = 10_000, ttl_s: float = 3600.0) -> None:
        self._max_size = max_size
        self._ttl_s = ttl_s
        self._seen: OrderedDict[str, float] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        """Record ``event_id``; True if it was not seen within the window, False for a repeat."""
        now = time.monotonic()
        while self._seen:
            seen_at = next(iter(self._seen.values()))
            if now - seen_at <= self._ttl_s and len(self._seen) < self._max_size:
                break
            self._seen.popitem(last=False)
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        return True
