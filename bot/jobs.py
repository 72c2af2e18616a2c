"""Jobs and the bounded queue that runs them after the ack.

A :class:`Job` is a validated :class:`bot.request.ImageRequest` plus the :class:`Destination` its
images go to. :class:`JobQueue` runs at most ``max_running`` jobs as asyncio tasks, at most
``max_per_user`` of them for one user, and keeps up to ``max_waiting`` more waiting, served
round-robin across users (FIFO within one user's requests), so one person's twenty requests do
not delay another person's one. Beyond ``max_waiting`` :meth:`JobQueue.submit` refuses, so
nothing is dropped silently. A waiting or running job can be cancelled. Slack needs an ack
within 3 s (platform.md), so listeners ack first and the generation runs here.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from bot import messages
from bot.errors import QueueFullError, ShuttingDownError
from bot.request import ImageRequest

if TYPE_CHECKING:
    from bot.openai.backends import EditInputs, Generation

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
    "workflow",
]


@dataclass(frozen=True)
class Destination:
    """Where a job's images and messages go.

    ``thread_ts`` makes the images a thread reply; ``response_url`` (slash commands, shortcuts)
    carries ephemeral answers, else ``chat.postEphemeral`` does; ``source_ts`` is the message that
    shows progress reactions (message shortcuts, mentions). ``team_id`` is the workspace the
    request came from and ``enterprise_id`` its Enterprise Grid org, if any: together they pick
    the bot token the job is delivered with (OAuth mode).
    """

    team_id: str
    channel_id: str
    user_id: str
    thread_ts: str | None = None
    response_url: str | None = None
    source_ts: str | None = None
    enterprise_id: str | None = None


@dataclass(eq=False)
class JobControl:
    """A job's mutable state shared by the queue and the pipeline: ``cancelled`` by its owner,
    ``delivering`` once its images are being uploaded (too late to cancel), ``resumable`` when
    it is in the journal and can run again after a restart (:mod:`bot.resume`), ``resumed``
    when it was picked up again after one."""

    cancelled: bool = False
    delivering: bool = False
    resumable: bool = False
    resumed: bool = False


@dataclass(frozen=True)
class JobResult:
    """How a job ended, for whoever watches it (:class:`JobWatch`).

    ``outcome`` is what the history records: ``ok``, ``partial``, ``timeout``, ``interrupted``,
    ``failed`` or an error class name. On success (``ok``/``partial``) ``generation`` holds the
    revised prompts and usage (no image bytes) and ``file_ids`` the uploaded Slack files, in
    order; otherwise ``error_text`` is the message the requester would have read.
    """

    outcome: str
    generation: Generation | None = None
    file_ids: tuple[str, ...] = ()
    error_text: str | None = None

    @property
    def ok(self) -> bool:
        """True when images were delivered."""
        return self.outcome in ("ok", "partial")


class JobWatch:
    """A one-shot hook on a job's outcome: whoever runs the job calls :meth:`settle` once it
    ended (the first result wins), whoever submitted it awaits :meth:`wait`.

    A watched job's requester is told by the watcher (e.g. a workflow step fails with
    ``error_text``), so the pipeline sends no ephemeral messages for it. Create it inside the
    running event loop.
    """

    def __init__(self) -> None:
        self._result: asyncio.Future[JobResult] = asyncio.get_running_loop().create_future()

    def settle(self, result: JobResult) -> bool:
        """Record ``result``; False (and nothing changes) when the job was already settled."""
        if self._result.done():
            return False
        self._result.set_result(result)
        return True

    @property
    def settled(self) -> bool:
        """True once a result was recorded."""
        return self._result.done()

    async def wait(self) -> JobResult:
        """The job's result, once it ended (cancelling the waiter leaves the result intact)."""
        return await asyncio.shield(self._result)


@dataclass(frozen=True)
class Job:
    """One request to generate and deliver images; ``id`` is a short random hex string.

    ``inputs`` (issue #8) is what an edit or a request with people's images starts from: the
    response to continue and/or the images to send (:class:`bot.openai.backends.EditInputs`);
    ``parent_id`` the job whose image an edit or variation started from, ``parent_image`` that
    image's number (1-based) and ``image_named`` whether the person chose it (else it is the
    default, image 1 of the latest result); the caption says which. ``input_files`` are the Slack
    file ids of people's own images it sends (so a Regenerate can fetch them again).
    ``watch``, when set, learns the job's outcome (the workflow step, issue #9).
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
    input_files: tuple[str, ...] = ()
    control: JobControl = field(default_factory=JobControl, compare=False, repr=False)
    watch: JobWatch | None = field(default=None, compare=False, repr=False)

    @property
    def owner(self) -> tuple[str, str]:
        """``(team_id, user_id)`` of the person who asked: the unit of fairness."""
        return self.destination.team_id, self.destination.user_id


CancelResult = Literal["waiting", "running", "delivering"]


class JobQueue:
    """Runs ``run(job)`` for submitted jobs: at most ``max_running`` at once and at most
    ``max_per_user`` per user (MAX_JOBS_PER_USER), with up to ``max_waiting`` jobs waiting.

    Waiting jobs start round-robin across users: each user with waiting jobs has a turn, in the
    order they first waited; a user at their cap is passed over without losing their place.
    ``run`` must handle its own failures (tell the user, log); an exception escaping it is a bug
    and is logged with its traceback.
    """

    def __init__(
        self,
        run: Callable[[Job], Awaitable[None]],
        *,
        max_running: int,
        max_waiting: int,
        max_per_user: int = 2,
    ) -> None:
        self._run = run
        self._max_running = max_running
        self._max_waiting = max_waiting
        self._max_per_user = max_per_user
        self._lines: dict[tuple[str, str], deque[Job]] = {}
        self._turns: deque[tuple[str, str]] = deque()
        self._waiting_count = 0
        self._running_by_user: Counter[tuple[str, str]] = Counter()
        self._tasks: dict[asyncio.Task[None], Job] = {}
        self._task_of: dict[str, asyncio.Task[None]] = {}
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
        return self._waiting_count

    def running_for(self, owner: tuple[str, str]) -> int:
        """Jobs of ``owner`` (team id, user id) running now."""
        return self._running_by_user[owner]

    def submit(self, job: Job) -> int:
        """Start ``job`` or put it in line. Returns 0 when it started, else its place in line
        (1 = next). Raises :class:`ShuttingDownError` after shutdown began and
        :class:`QueueFullError` when the line is full."""
        if not self._accepting:
            raise ShuttingDownError()
        owner = job.owner
        if (
            len(self._tasks) < self._max_running
            and self._running_by_user[owner] < self._max_per_user
            and not self._lines.get(owner)
        ):
            self._start(job)
            return 0
        if self._waiting_count >= self._max_waiting:
            raise QueueFullError(self._max_waiting)
        line = self._lines.get(owner)
        if line is None:
            line = self._lines[owner] = deque()
            self._turns.append(owner)
            index = len(self._turns) - 1
        else:
            index = self._turns.index(owner)
        line.append(job)
        self._waiting_count += 1
        return self._place_at(index, len(line) - 1)

    def get(self, job_id: str) -> Job | None:
        """The waiting or running job with ``job_id``, if any."""
        task = self._task_of.get(job_id)
        if task is not None:
            return self._tasks.get(task)
        for line in self._lines.values():
            for job in line:
                if job.id == job_id:
                    return job
        return None

    def place(self, job_id: str) -> int | None:
        """The waiting job's place in line (1 = next), in the order the queue will start
        waiting jobs: round ``r`` takes each user's ``r``-th job, users in turn order.
        ``None`` when the job is not waiting."""
        for index, owner in enumerate(self._turns):
            for depth, job in enumerate(self._lines[owner]):
                if job.id == job_id:
                    return self._place_at(index, depth)
        return None

    def _place_at(self, index: int, depth: int) -> int:
        """The place in line of the ``depth``-th job (0 = first) of the ``index``-th user in
        turn order: the jobs of earlier rounds, then this round's of the users before it."""
        if depth == 0:  # every user in turn order has a job waiting: one per earlier user
            return index + 1
        ahead = 0
        for other_index, other in enumerate(self._turns):
            count = len(self._lines[other])
            if other_index == index:
                ahead += depth
            else:
                ahead += min(count, depth) + (1 if other_index < index and count > depth else 0)
        return ahead + 1

    def order(self) -> list[Job]:
        """The waiting jobs in the order they will start (see :meth:`place`)."""
        lines = [list(self._lines[owner]) for owner in self._turns]
        ordered: list[Job] = []
        depth = 0
        while True:
            row = [line[depth] for line in lines if depth < len(line)]
            if not row:
                return ordered
            ordered += row
            depth += 1

    def cancel(self, job_id: str) -> CancelResult | None:
        """Cancel the job with ``job_id``: a waiting job leaves the line (``"waiting"``); a
        running one is cancelled and uploads nothing (``"running"``); one whose images are
        being posted cannot be (``"delivering"``). ``None`` when no such job is here."""
        task = self._task_of.get(job_id)
        if task is not None:
            job = self._tasks[task]
            if job.control.delivering:
                return "delivering"
            if not job.control.cancelled:  # a second click must not cancel its clean-up
                job.control.cancelled = True
                task.cancel()
            return "running"
        for owner, line in self._lines.items():
            for job in line:
                if job.id == job_id:
                    line.remove(job)
                    self._waiting_count -= 1
                    if not line:
                        del self._lines[owner]
                        self._turns.remove(owner)
                    job.control.cancelled = True
                    if job.watch is not None:  # it never runs: its watcher learns it here
                        job.watch.settle(JobResult("cancelled", error_text=messages.CANCELLED))
                    return "waiting"
        return None

    def _start(self, job: Job) -> None:
        task = asyncio.create_task(self._guarded(job), name=f"imagine-job-{job.id}")
        self._tasks[task] = job
        self._task_of[job.id] = task
        self._running_by_user[job.owner] += 1
        task.add_done_callback(self._finished)

    async def _guarded(self, job: Job) -> None:
        try:
            await self._run(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("job %s crashed", job.id)

    def _finished(self, task: asyncio.Task[None]) -> None:
        job = self._tasks.pop(task, None)
        if job is not None:
            self._task_of.pop(job.id, None)
            self._running_by_user[job.owner] -= 1
            if self._running_by_user[job.owner] <= 0:
                del self._running_by_user[job.owner]
        self._fill()

    def _fill(self) -> None:
        """Start waiting jobs while there are free slots: the first user in turn order who is
        under their cap goes, then moves to the back of the turns."""
        while self._accepting and self._turns and len(self._tasks) < self._max_running:
            owner = next(
                (o for o in self._turns if self._running_by_user[o] < self._max_per_user), None
            )
            if owner is None:
                return  # everyone waiting is at their cap
            self._turns.remove(owner)
            line = self._lines[owner]
            job = line.popleft()
            self._waiting_count -= 1
            if line:
                self._turns.append(owner)
            else:
                del self._lines[owner]
            self._start(job)

    async def shutdown(self, grace_s: float) -> list[Job]:
        """Stop taking work, give running jobs ``grace_s`` seconds to finish, cancel the rest.

        Returns the jobs that did not finish: those still waiting (in the order they would
        have started) and those cancelled, so their owners can be told or their work resumed.
        """
        self._accepting = False
        unfinished = self.order()
        self._lines.clear()
        self._turns.clear()
        self._waiting_count = 0
        if self._tasks:
            done, pending = await asyncio.wait(list(self._tasks), timeout=grace_s)
            for task in pending:
                unfinished.append(self._tasks[task])
                task.cancel()
            if pending:  # a cancellation of this shutdown itself still propagates
                await asyncio.wait(pending)
        return unfinished
