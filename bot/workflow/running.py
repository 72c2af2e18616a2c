"""The workflow steps this process is running, so that a shutdown lets each of them report its
end to Slack (``functions.completeError``) before the HTTP sessions close."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

log = logging.getLogger(__name__)


class RunningSteps:
    """A set of the asyncio tasks running step listeners (strong references: Bolt does not keep
    the tasks it starts)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[object]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    @contextlib.contextmanager
    def track(self) -> Iterator[None]:
        """Count the current task as a running step for the duration of the ``with`` block."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def drain(self, timeout_s: float) -> int:
        """Wait up to ``timeout_s`` seconds for the running steps to end (their jobs have been
        settled by then, so each only reports to Slack). Returns how many did not end."""
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        if not tasks:
            return 0
        _, pending = await asyncio.wait(tasks, timeout=timeout_s)
        if pending:
            log.warning("%d workflow steps did not report in time", len(pending))
        return len(pending)
