"""Jobs and the bounded queue that runs them after the ack.

A :class:`Job` is a validated :class:`bot.request.ImageRequest` plus the :class:`Destination` its
images go to. :class:`JobQueue` runs at most ``max_running`` jobs as asyncio tasks and keeps up to
``max_waiting`` more in FIFO order; beyond that :meth:`JobQueue.submit` refuses, so nothing is
dropped silently. Slack needs an ack within 3 s (platform.md), so listeners ack first and the
generation runs here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from bot.errors import QueueFullError, ShuttingDownError
from bot.request import ImageRequest

if TYPE_CHECKING:
    from bot.openai.backends import EditInputs

log = logging.getLogger(__name__)

Source = Literal[
    "command",
    "modal",
    "shortcut:slide",
    "shortcut:brand",
    "mention",
    "regenerate",
    "edit",
    "variation",
    "dm",
]


@dataclass(frozen=True)
class Destination:
    """Where a job's images and messages go.

    ``thread_ts`` makes the images a thread reply; ``response_url`` (slash commands, shortcuts)
    carries ephemeral answers, else ``chat.postEphemeral`` does; ``source_ts`` is the message that
    shows progress reactions (message shortcuts, mentions).
    """

    team_id: str
    channel_id: str
    user_id: str
    thread_ts: str | None = None
    response_url: str | None = None
    source_ts: str | None = None


@dataclass(frozen=True)
class Job:
    """One request to generate and deliver images; ``id`` is a short random hex string.

    ``inputs`` (issue #8) is what an edit or a request with people's images starts from: the
    response to continue and/or the images to send (:class:`bot.openai.backends.EditInputs`);
    ``parent_id`` the job whose image an edit or variation started from, ``parent_image`` that
    image's number (1-based) and ``image_named`` whether the person chose it (else it is the
    default, image 1 of the latest result); the caption says which.
    """

    request: ImageRequest
    destination: Destination
    source: Source
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created_at: float = field(default_factory=time.monotonic)
    inputs: EditInputs | None = None
    parent_id: str | None = None
    parent_image: int | None = None
    image_named: bool = False


class JobQueue:
    """Runs ``run(job)`` for submitted jobs, at most ``max_running`` at once, with up to
    ``max_waiting`` jobs waiting in line.

    ``run`` must handle its own failures (tell the user, log); an exception escaping it is a bug
    and is logged with its traceback.
    """

    def __init__(
        self,
        run: Callable[[Job], Awaitable[None]],
        *,
        max_running: int,
        max_waiting: int,
    ) -> None:
        self._run = run
        self._max_running = max_running
        self._max_waiting = max_waiting
        self._waiting: deque[Job] = deque()
        self._tasks: dict[asyncio.Task[None], Job] = {}
        self._accepting = True

    @property
    def accepting(self) -> bool:
        """False once shutdown began."""
        return self._accepting

    @property
    def running(self) -> int:
        """Jobs running now."""
        return len(self._tasks)

    @property
    def waiting(self) -> int:
        """Jobs waiting for a slot."""
        return len(self._waiting)

    def submit(self, job: Job) -> int:
        """Start ``job`` or put it in line. Returns 0 when it started, else its place in line
        (1 = next). Raises :class:`ShuttingDownError` after shutdown began and
        :class:`QueueFullError` when the line is full."""
        if not self._accepting:
            raise ShuttingDownError()
        if len(self._tasks) < self._max_running:
            self._start(job)
            return 0
        if len(self._waiting) >= self._max_waiting:
            raise QueueFullError(self._max_waiting)
        self._waiting.append(job)
        return len(self._waiting)

    def _start(self, job: Job) -> None:
        task = asyncio.create_task(self._guarded(job), name=f"imagine-job-{job.id}")
        self._tasks[task] = job
        task.add_done_callback(self._finished)

    async def _guarded(self, job: Job) -> None:
        try:
            await self._run(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s crashed", job.id)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)
        while self._waiting and len(self._tasks) < self._max_running and self._accepting:
            self._start(self._waiting.popleft())

    async def shutdown(self, grace_s: float) -> list[Job]:
        """Stop taking work, give running jobs ``grace_s`` seconds to finish, cancel the rest.

        Returns the jobs that did not finish: those cancelled and those still waiting, so their
        owners can be told.
        """
        self._accepting = False
        unfinished = list(self._waiting)
        self._waiting.clear()
        if self._tasks:
            done, pending = await asyncio.wait(list(self._tasks), timeout=grace_s)
            for task in pending:
                unfinished.append(self._tasks[task])
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        return unfinished
