"""Stopping a background task without losing the caller's own cancellation.

The usual ``task.cancel()`` then ``with suppress(CancelledError): await task`` also swallows a
cancellation of the *caller* that arrives while it waits, so a shutdown that is itself being
cancelled (a SIGTERM grace period running out, an event loop closing) goes on as if nothing
happened. :func:`cancel_and_wait` absorbs only the task's own end, using
``asyncio.Task.cancelling`` (Python 3.11, "Task Cancellation" in the asyncio docs).
"""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Future[Any] | None) -> None:
    """Cancel ``task`` (a task or future; ``None`` does nothing) and wait until it has ended.

    Its ``CancelledError`` is absorbed; any other exception it ended with is raised. Raises
    ``CancelledError`` when the caller itself is cancelled meanwhile (``task`` has then been
    asked to stop, but may still be ending)."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        caller = asyncio.current_task()
        if caller is not None and caller.cancelling():
            raise
