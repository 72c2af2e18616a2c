"""The one place that admits OpenAI image calls: pace to the provider instead of storming it.

OpenAI limits image models per organisation (images per minute, requests per minute, tokens per
minute), reports the window on every answer (``x-ratelimit-limit-<dim>``,
``x-ratelimit-remaining-<dim>``, ``x-ratelimit-reset-<dim>`` where ``<dim>`` is ``requests``,
``tokens`` or an images-specific name such as ``images``; reset is a duration like ``1s``,
``6m0s`` or ``20ms``) and answers 429 ``rate_limit_exceeded`` with ``retry-after`` /
``retry-after-ms`` and "Please try again in Ns" past it. **Failed requests count against the
limit** (platform.md, "Rate limits"), so a call that is known to fail must not be sent.

Model (:class:`bot.openai.pace_model.PaceModel`, pure and clock-free so it is tested against
recorded header sequences; headers read by :mod:`bot.openai.ratelimit_headers`): each
per-minute dimension is a token bucket of ``limit`` tokens refilling at ``limit / 60`` per
second, which is what OpenAI's headers describe (``reset`` is the time until the bucket is full
again). The headers are organisation-wide, so several instances converge without shared state
(see :mod:`bot.openai.pace_model`). A 429 blocks every call until its retry hint has passed.
``OPENAI_IMAGES_PER_MINUTE`` adds a known ceiling (a full bucket of that many images at start).
Before the first answer, a few calls go out as probes (the lowest tier's 5 images per minute),
ceiling or not. Answers whose headers name no images limit (OpenAI's name requests and tokens)
start a slow start from a guessed limit until a 429 names the real one; a server that sends no
rate-limit headers at all is not paced (429s still are). :meth:`Pacer.stop` ends admissions at
shutdown.

:class:`Pacer` is the asyncio side: calls wait in one FIFO line, so admission follows the order
in which jobs asked; each job carries a :class:`Ticket` (a context variable) that bounds its
total wait (``MAX_WAIT_S``), pauses its deadline while it waits, and tells its owner once that
the request waits for OpenAI capacity, with an estimate.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from bot import errors
from bot.openai.pace_model import PERIOD_S, Admission, Bucket, PaceModel
from bot.openai.ratelimit_headers import parse_duration, read_windows, try_again_in

log = logging.getLogger(__name__)

NOTICE_AFTER_S = 10.0  # tell the owner when the wait is (or is expected to be) this long
RECHECK_S = 5.0  # a waiter re-reads the picture at least this often


class JobClock:
    """A job's deadline that runs only while the job is not waiting for capacity:
    ``JOB_TIMEOUT_S`` counts from the first admitted call. Wraps an ``asyncio.timeout(None)``
    context manager (``timeout``) and reschedules it."""

    def __init__(self, timeout: asyncio.Timeout | None, budget_s: float) -> None:
        self._timeout = timeout
        self._budget_s = budget_s
        self._remaining_s = budget_s
        self._since: float | None = None  # running since (loop time)
        self.started = False

    def run(self) -> None:
        """A call was admitted: the deadline runs (starts, the first time)."""
        if self._since is not None:
            return
        self.started = True
        self._since = asyncio.get_running_loop().time()
        self._reschedule(self._since + self._remaining_s)

    def pause(self) -> None:
        """Every open call of the job waits for capacity: the deadline stops."""
        if self._since is None:
            return
        now = asyncio.get_running_loop().time()
        self._remaining_s = max(self._remaining_s - (now - self._since), 0.0)
        self._since = None
        if self._remaining_s > 0:
            self._reschedule(None)

    def _reschedule(self, when: float | None) -> None:
        if self._timeout is None or self._timeout.expired():
            return
        with contextlib.suppress(RuntimeError):  # the deadline is already being enforced
            self._timeout.reschedule(when)


@dataclass
class Ticket:
    """One job's standing with the pacer: at most ``max_wait_s`` seconds of waiting in all,
    ``notify`` awaited once (with the estimated seconds until the job starts) when the job waits
    for capacity, ``clock`` paused while it waits. The wait is the time (seconds, on the
    pacer's clock) during which at least one of the job's calls waited: the calls of a job with
    n > 1 wait side by side, and their waits are not added up."""

    max_wait_s: float
    notify: Callable[[float], Awaitable[object]] | None = None
    clock: JobClock | None = None
    waited_s: float = 0.0  # closed waiting periods
    told: bool = False
    waiting: int = 0
    running: int = 0
    _waiting_since: float | None = None

    def waited(self, now: float) -> float:
        """Seconds the job has waited for capacity so far, as of ``now``."""
        since = self._waiting_since
        return self.waited_s + (now - since if since is not None else 0.0)

    def enter_wait(self, now: float) -> None:
        """A call of the job starts waiting at ``now``."""
        if self.waiting == 0:
            self._waiting_since = now
        self.waiting += 1
        if self.running == 0 and self.clock is not None:
            self.clock.pause()

    def leave_wait(self, now: float, admitted: bool) -> None:
        """A call stops waiting at ``now`` (``admitted`` or given up)."""
        self.waiting -= 1
        if self.waiting == 0 and self._waiting_since is not None:
            self.waited_s += now - self._waiting_since
            self._waiting_since = None
        if admitted:
            self.running += 1
            if self.clock is not None:
                self.clock.run()

    def call_ended(self) -> None:
        """An admitted call ended."""
        self.running = max(self.running - 1, 0)
        if self.running == 0 and self.waiting and self.clock is not None:
            self.clock.pause()


current_ticket: contextvars.ContextVar[Ticket | None] = contextvars.ContextVar(
    "imagine_pacing_ticket", default=None
)


@dataclass(eq=False)  # one call in the line: equal only to itself (deque.remove)
class _Waiter:
    images: int
    ticket: Ticket | None


class Pacer:
    """Admits OpenAI image calls one by one in FIFO order when :class:`PaceModel` says there is
    capacity. ``images_per_minute``: ``OPENAI_IMAGES_PER_MINUTE`` (``None``: learn it);
    ``period_s``: the limits' period (tests shorten it); ``clock``: a monotonic clock;
    ``notice_after_s``: a job's owner is told about the wait when it is expected to last (or
    has lasted) this long.

    Use :meth:`slot` around each call, and :meth:`observe` / :meth:`rate_limited` for its
    answer. Raises :class:`bot.errors.CapacityWaitError` when a job's ticket has waited
    ``max_wait_s`` in all.
    """

    def __init__(
        self,
        *,
        images_per_minute: int | None = None,
        period_s: float = PERIOD_S,
        clock: Callable[[], float] = time.monotonic,
        notice_after_s: float = NOTICE_AFTER_S,
    ) -> None:
        self._clock = clock
        self._notice_after_s = notice_after_s
        self.model = PaceModel(images_per_minute=images_per_minute, period_s=period_s, now=clock())
        self._line: deque[_Waiter] = deque()
        self._changed = asyncio.Event()
        self.stopped = False

    @property
    def waiting(self) -> int:
        """Calls waiting for capacity now."""
        return len(self._line)

    @property
    def waiting_jobs(self) -> int:
        """Jobs (tickets) with a call waiting for capacity now; calls without one count each."""
        tickets = {id(w.ticket) if w.ticket is not None else id(w) for w in self._line}
        return len(tickets)

    @property
    def rate_limited(self) -> int:
        """429 ``rate_limit_exceeded`` answers seen so far."""
        return self.model.rate_limited

    def estimate(self, images: int = 1) -> float:
        """Seconds until a new call for ``images`` images would go (``inf`` while unknown)."""
        ahead = sum(w.images for w in self._line)
        return self.model.delay(self._clock(), images, ahead)

    def stop(self) -> None:
        """The app is shutting down: admit no more calls. Calls waiting (or asking) now wait
        until their job is cancelled at the end of the shutdown grace, so the job is
        journaled as interrupted and resumes after the restart, instead of a call being sent
        (and billed) only to be cut off."""
        self.stopped = True
        self._poke()

    async def admit(self, images: int) -> Admission:
        """Wait for this call's turn and capacity, then take it. The current :class:`Ticket`
        (if any) is charged the wait; raises :class:`bot.errors.CapacityWaitError` when its
        ``max_wait_s`` is used up (the call was not sent)."""
        ticket = current_ticket.get()
        now = self._clock()
        if not self._line and not self.stopped and self.model.delay(now, images) <= 0:
            if ticket is not None:
                ticket.enter_wait(now)
                ticket.leave_wait(now, admitted=True)
            return self.model.admit(now, images)
        waiter = _Waiter(images, ticket)
        self._line.append(waiter)
        if ticket is not None:
            ticket.enter_wait(now)
        admitted = False
        try:
            await self._wait_turn(waiter)
            admitted = True
            return self.model.admit(self._clock(), images)
        finally:
            self._line.remove(waiter)
            if ticket is not None:
                ticket.leave_wait(self._clock(), admitted)
            self._poke()

    async def _wait_turn(self, waiter: _Waiter) -> None:
        while True:
            changed = self._changed  # replaced on every change: no wake-up is lost
            now = self._clock()
            ahead = 0.0
            for other in self._line:
                if other is waiter:
                    break
                ahead += other.images
            delay = math.inf if self.stopped else self.model.delay(now, waiter.images, ahead)
            if ahead == 0 and delay <= 0:
                return
            ticket = waiter.ticket
            if ticket is not None:
                waited = ticket.waited(now)
                if waited >= ticket.max_wait_s:
                    raise errors.CapacityWaitError(ticket.max_wait_s)
                await self._maybe_tell(ticket, delay, waited)
                budget = ticket.max_wait_s - waited
            else:
                budget = math.inf
            nap = min(delay if ahead == 0 else RECHECK_S, RECHECK_S, budget)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(nap, 0.01)):
                    await changed.wait()

    async def _maybe_tell(self, ticket: Ticket, delay: float, waited: float) -> None:
        if ticket.told or ticket.notify is None or math.isinf(delay):
            return  # inf: nothing known yet (a probe is out), so no estimate to give
        if delay < self._notice_after_s and waited < self._notice_after_s:
            return
        ticket.told = True
        try:
            await ticket.notify(delay)
        except Exception:  # telling is best effort; the job goes on
            log.exception("could not tell a job's owner about the wait")

    def observe(self, admission: Admission | None, headers: Mapping[str, str]) -> None:
        """Learn from the headers of an answer to ``admission``'s call."""
        self.model.observe(self._clock(), admission, headers)
        self._poke()

    def rate_limited_by(self, exc: errors.OpenAIError) -> float:
        """A 429 ``rate_limit_exceeded`` (``exc``) came back: block until its hint passed.
        Returns the seconds blocked."""
        blocked = self.model.rate_limit(self._clock(), exc.retry_after, exc.message)
        log.warning(
            "openai rate limited; holding image calls for %.1fs (%d waiting)",
            blocked,
            len(self._line),
        )
        self._poke()
        return blocked

    def ended(self, admission: Admission) -> None:
        """The call of ``admission`` ended without an answer."""
        self.model.ended(admission)
        self._poke()

    def _poke(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()


__all__ = [
    "Admission",
    "Bucket",
    "JobClock",
    "PaceModel",
    "Pacer",
    "Ticket",
    "current_ticket",
    "parse_duration",
    "read_windows",
    "try_again_in",
]
