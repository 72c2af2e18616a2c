"""The one place that admits OpenAI image calls: pace to the provider instead of storming it.

OpenAI limits image models per organisation (images per minute, requests per minute, tokens per
minute), reports the window on every answer (``x-ratelimit-limit-<dim>``,
``x-ratelimit-remaining-<dim>``, ``x-ratelimit-reset-<dim>`` where ``<dim>`` is ``requests``,
``tokens`` or an images-specific name such as ``images``; reset is a duration like ``1s``,
``6m0s`` or ``20ms``) and answers 429 ``rate_limit_exceeded`` with ``retry-after`` /
``retry-after-ms`` and "Please try again in Ns" past it. **Failed requests count against the
limit** (platform.md, "Rate limits"), so a call that is known to fail must not be sent.

Model (:class:`PaceModel`, pure and clock-free so it is tested against recorded header
sequences): each per-minute dimension is a token bucket of ``limit`` tokens refilling at
``limit / 60`` per second, which is what OpenAI's headers describe (``reset`` is the time until
the bucket is full again, so the level is ``limit - reset * rate``). An answer's headers describe
the bucket when the call arrived; the model carries that forward to now (refill since the call
was sent, minus the calls this process admitted since) and adopts it when it is lower than what
it believed (someone else, e.g. another instance, used capacity) or clearly higher. Because the
headers are organisation-wide, several instances converge on the same picture without sharing
state. A 429 blocks every call until its retry hint has passed. ``OPENAI_IMAGES_PER_MINUTE``
adds a known ceiling (a full bucket of that many images at start). Before anything is known,
one call at a time goes out as a probe; a server that sends no rate-limit headers is then not
paced (429s still are).

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
import random
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from bot import errors

log = logging.getLogger(__name__)

PERIOD_S = 60.0  # OpenAI's limits are per minute (RPM, TPM, IPM)
HEADER_PREFIX = "x-ratelimit-"
BUCKET_DIMENSIONS = ("requests", "images")  # dimensions a call costs a known amount of
RAISE_TOLERANCE = 1.0  # adopt a higher level from headers only when this many tokens higher
LOWER_TOLERANCE = 0.0  # a lower level is always adopted (it can only make us more careful)
MIN_SHARE = 0.1  # the least of a limit this process counts on, however busy the others are
BACK_OFF = 0.7  # others use the limit too (a 429, or fewer tokens than expected): share x this
GROW = 0.1  # an answer as expected: share + this (additive increase, multiplicative decrease)
SURPRISE_TOKENS = 0.5  # fewer tokens than expected by this many means others use the limit
NO_HINT_BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)  # a 429 without any retry hint
MAX_BLOCK_S = 600.0  # a retry hint beyond this is read as this
NOTICE_AFTER_S = 10.0  # tell the owner when the wait is (or is expected to be) this long
RECHECK_S = 5.0  # a waiter re-reads the picture at least this often
PROBE_IMAGES = 5  # images in flight before anything is known: the lowest tier's IPM (platform.md)
MARGIN_S = 0.1  # a call goes when its tokens are there with this much refill to spare
REORDER_S = 0.5  # calls admitted this close together may reach OpenAI in any order
HISTORY_S = 300.0  # how long admissions are remembered (to carry headers forward)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_TRY_AGAIN = re.compile(r"try again in\s+((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|h|m|s))+)", re.IGNORECASE)


def parse_duration(text: str | None) -> float | None:
    """Seconds in a Go-style duration as OpenAI writes it (``1s``, ``6m0s``, ``20ms``,
    ``1h2m3.5s``) or a bare number of seconds; ``None`` when absent or unreadable."""
    if not text:
        return None
    text = text.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(number) * _UNITS[unit] for number, unit in parts)


def try_again_in(message: str | None) -> float | None:
    """The seconds in a 429 message's "Please try again in 6.5s" (``None`` when absent)."""
    if not message:
        return None
    found = _TRY_AGAIN.search(message)
    return parse_duration(found.group(1)) if found else None


@dataclass(frozen=True)
class Window:
    """One dimension of one answer's headers: ``limit``, ``remaining`` and ``reset_s`` (any may
    be ``None`` when the header is missing or unreadable)."""

    limit: float | None
    remaining: float | None
    reset_s: float | None


def read_windows(headers: Mapping[str, str]) -> dict[str, Window]:
    """Every ``x-ratelimit-{limit,remaining,reset}-<dim>`` group of ``headers``, by ``<dim>``
    (``requests``, ``tokens``, ``images``, …). Header names are case-insensitive."""
    found: dict[str, dict[str, str]] = {}
    for name, value in headers.items():
        lower = name.lower()
        if not lower.startswith(HEADER_PREFIX):
            continue
        kind, _, dimension = lower[len(HEADER_PREFIX) :].partition("-")
        if kind in ("limit", "remaining", "reset") and dimension:
            found.setdefault(dimension, {})[kind] = value
    windows = {}
    for dimension, values in found.items():
        windows[dimension] = Window(
            limit=_number(values.get("limit")),
            remaining=_number(values.get("remaining")),
            reset_s=parse_duration(values.get("reset")),
        )
    return windows


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _is_rate_limit_answer(headers: Mapping[str, str]) -> bool:
    return any(name.lower() in ("retry-after", "retry-after-ms") for name in headers)


def is_images_dimension(dimension: str) -> bool:
    """True for an images-specific dimension (``images``, ``images_per_minute``, …)."""
    return "image" in dimension


@dataclass
class Bucket:
    """A token bucket: ``capacity`` tokens, refilled at ``rate`` per second; ``tokens`` was the
    level at time ``updated`` (it may be negative: failed calls count too). ``others`` is the
    estimated rate (tokens per second) at which others sharing the organisation use it, learned
    from the headers (:meth:`PaceModel.observe`); this process counts on the rest."""

    capacity: float
    rate: float
    tokens: float
    updated: float
    factor: float = 1.0
    synced: float | None = None

    @property
    def share(self) -> float:
        """The refill this process counts on, per second."""
        return self.rate * self.factor

    def level(self, now: float) -> float:
        """Tokens at ``now`` for this process (never above capacity)."""
        if self.tokens >= self.capacity:
            return self.tokens
        return min(self.capacity, self.tokens + max(now - self.updated, 0.0) * self.share)

    def set(self, now: float, tokens: float) -> None:
        """The level is ``tokens`` at ``now``."""
        self.tokens, self.updated = min(tokens, self.capacity), now

    def delay(self, now: float, cost: float) -> float:
        """Seconds until ``cost`` tokens (at most a full bucket) are there, with
        ``MARGIN_S`` of refill to spare (clocks and event loops are not exact)."""
        missing = min(cost, self.capacity) + self.share * MARGIN_S - self.level(now)
        return 0.0 if missing <= 1e-9 else missing / self.share


@dataclass(frozen=True)
class Admission:
    """What :meth:`PaceModel.admit` hands out: when the call went, and what it cost."""

    at: float
    images: int
    requests: int = 1
    seq: int = 0  # order of admission

    def cost(self, dimension: str) -> float:
        """This call's cost in ``dimension`` (0 where the cost is not known in advance)."""
        if dimension == "requests":
            return float(self.requests)
        return float(self.images) if is_images_dimension(dimension) else 0.0


class PaceModel:
    """What is known about OpenAI's capacity, and when the next call may go. Times are seconds
    on any monotonic clock, passed in (tests replay recorded header sequences with made-up
    times). ``images_per_minute`` is the known ceiling (``OPENAI_IMAGES_PER_MINUTE``), ``None``
    when unknown; ``period_s`` the limits' period (60 s at OpenAI)."""

    def __init__(
        self,
        *,
        images_per_minute: int | None = None,
        period_s: float = PERIOD_S,
        now: float = 0,
        rng: random.Random | None = None,
    ) -> None:
        self.period_s = period_s
        self._rng = rng or random.Random()
        self.ceiling: Bucket | None = None
        if images_per_minute:
            self.ceiling = Bucket(
                images_per_minute, images_per_minute / period_s, images_per_minute, now
            )
        self.buckets: dict[str, Bucket] = {}
        self.blocked_until = 0.0
        self.paced = self.ceiling is not None  # False: nothing known yet (probe) or no headers
        self.probing = 0  # images in flight while nothing is known
        self.learned = self.ceiling is not None
        self.rate_limited = 0  # 429 rate_limit_exceeded answers seen
        self._history: deque[Admission] = deque()
        self._open: set[int] = set()  # admissions not answered yet, by seq
        self._seq = 0
        self._no_hint_streak = 0
        self._streak = 0  # 429s since the last answer that was not one

    # --- admission ---------------------------------------------------------------------------

    def delay(self, now: float, images: int, ahead: float = 0.0) -> float:
        """Seconds until a call for ``images`` images may go, with ``ahead`` images of calls
        before it in line; 0 when it may go now. ``inf`` while a probe is out."""
        wait = max(self.blocked_until - now, 0.0)
        if not self.learned:
            fits = self.probing == 0 or self.probing + ahead + images <= PROBE_IMAGES
            return wait if fits else math.inf
        need = Admission(now, images)
        for dimension, bucket in self._all_buckets():
            cost = need.cost(dimension)
            if cost:
                requests_ahead = ahead / max(images, 1)
                extra = requests_ahead if dimension == "requests" else ahead
                wait = max(wait, bucket.delay(now, cost + extra))
        return wait

    def admit(self, now: float, images: int) -> Admission:
        """Take the capacity of one call for ``images`` images now."""
        self._seq += 1
        admission = Admission(now, images, seq=self._seq)
        for dimension, bucket in self._all_buckets():
            cost = admission.cost(dimension)
            if cost:
                bucket.set(now, bucket.level(now) - cost)
        if not self.learned:
            self.probing += images
        self._history.append(admission)
        self._open.add(admission.seq)
        while self._history and self._history[0].at < now - HISTORY_S:
            self._history.popleft()
        return admission

    def ended(self, admission: Admission) -> None:
        """A call ended without an answer (transport error, timeout, cancellation)."""
        self._open.discard(admission.seq)
        if not self.learned:
            self.probing = max(self.probing - admission.images, 0)

    # --- learning ----------------------------------------------------------------------------

    def observe(self, now: float, admission: Admission | None, headers: Mapping[str, str]) -> None:
        """Learn from an answer's headers (2xx or error) to the call ``admission``."""
        windows = read_windows(headers)
        if admission is not None:
            self._open.discard(admission.seq)
        limited = _is_rate_limit_answer(headers)
        if not limited:
            self._streak = 0
        if admission is not None and not self.learned:
            self.probing = max(self.probing - admission.images, 0)
        self.learned = True
        if not windows:
            return
        self.paced = True
        for dimension, window in windows.items():
            if dimension in BUCKET_DIMENSIONS or is_images_dimension(dimension):
                self._observe_bucket(now, admission, dimension, window, limited)
            elif window.remaining is not None and window.remaining <= 0 and window.reset_s:
                self.block(now, window.reset_s)  # e.g. tokens: the cost is not known ahead

    def _observe_bucket(
        self,
        now: float,
        admission: Admission | None,
        dimension: str,
        window: Window,
        rate_limited: bool,
    ) -> None:
        if not window.limit or window.limit <= 0:
            return
        sent = admission.at if admission is not None else now
        after = admission.seq if admission is not None else self._seq
        rate = window.limit / self.period_s
        level_then = window.remaining
        if window.reset_s is not None:
            from_reset = window.limit - window.reset_s * rate
            level_then = from_reset if level_then is None else min(from_reset, level_then + 1)
        if level_then is None:
            return
        # Calls admitted after this one were not counted in its headers; calls admitted just
        # before it and still unanswered may have reached OpenAI after it (a burst is sent over
        # several connections), so they are not trusted to be counted either.
        since = sum(
            a.cost(dimension)
            for a in self._history
            if a.seq > after or (a.seq in self._open and a.at >= sent - REORDER_S)
        )
        bucket = self.buckets.get(dimension)
        if bucket is None or bucket.capacity != window.limit:
            estimate = min(window.limit, level_then + (now - sent) * rate) - since
            self.buckets[dimension] = Bucket(window.limit, rate, estimate, now, synced=sent)
            return
        estimate = min(window.limit, level_then + (now - sent) * bucket.share) - since
        current = bucket.level(now)
        if sent >= (bucket.synced or 0.0):
            bucket.synced = sent
            if estimate < current - SURPRISE_TOKENS and not rate_limited:  # others use it too
                bucket.factor = max(bucket.factor * BACK_OFF, MIN_SHARE)
            elif not rate_limited:
                bucket.factor = min(bucket.factor + GROW, 1.0)
        if estimate < current - LOWER_TOLERANCE or estimate > current + RAISE_TOLERANCE:
            bucket.set(now, estimate)

    def rate_limit(
        self, now: float, retry_after_s: float | None, message: str | None = None
    ) -> float:
        """A 429 ``rate_limit_exceeded`` arrived: block every call until its hint has passed
        (``retry_after_s`` from ``retry-after(-ms)``, else "try again in" of ``message``, else
        an escalating backoff), plus a random part of one token's time per 429 in a row, so
        that instances sharing the organisation do not keep colliding (each refused call costs
        a token too). Returns the seconds blocked."""
        self.rate_limited += 1
        self._streak += 1
        hint = retry_after_s if retry_after_s is not None else try_again_in(message)
        if hint is None:
            hint = NO_HINT_BACKOFF_S[min(self._no_hint_streak, len(NO_HINT_BACKOFF_S) - 1)]
            self._no_hint_streak += 1
        else:
            self._no_hint_streak = 0
        token_s = max((self.period_s / b.capacity for _, b in self._all_buckets()), default=0.0)
        hint = min(hint + self._rng.uniform(0, token_s * min(self._streak, 4)), MAX_BLOCK_S)
        self.block(now, hint)
        text = (message or "").lower()
        for dimension, bucket in self.buckets.items():
            mentioned = (
                "image" in text or "ipm" in text
                if is_images_dimension(dimension)
                else dimension in text or "rpm" in text
            )
            if mentioned:  # one token when the hint has passed, not before; count on less
                bucket.factor = max(bucket.factor * BACK_OFF, MIN_SHARE)
                bucket.set(now, min(bucket.level(now), 1.0 - hint * bucket.share))
        return hint

    def block(self, now: float, seconds: float) -> None:
        """No call goes before ``now + seconds``."""
        self.blocked_until = max(self.blocked_until, now + seconds)

    def _all_buckets(self) -> list[tuple[str, Bucket]]:
        pairs = list(self.buckets.items())
        if self.ceiling is not None:
            pairs.append(("images", self.ceiling))
        return pairs


# --- The asyncio side ----------------------------------------------------------------------------


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
    for capacity, ``clock`` paused while it waits."""

    max_wait_s: float
    notify: Callable[[float], Awaitable[object]] | None = None
    clock: JobClock | None = None
    waited_s: float = 0.0
    told: bool = False
    waiting: int = 0
    running: int = 0

    def enter_wait(self) -> None:
        """A call of the job starts waiting."""
        self.waiting += 1
        if self.running == 0 and self.clock is not None:
            self.clock.pause()

    def leave_wait(self, waited_s: float, admitted: bool) -> None:
        """A call stops waiting (``admitted`` or given up)."""
        self.waiting -= 1
        self.waited_s += waited_s
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


@dataclass
class _Waiter:
    images: int
    ticket: Ticket | None
    since: float
    turn: asyncio.Event = field(default_factory=asyncio.Event)


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

    async def admit(self, images: int) -> Admission:
        """Wait for this call's turn and capacity, then take it. The current :class:`Ticket`
        (if any) is charged the wait; raises :class:`bot.errors.CapacityWaitError` when its
        ``max_wait_s`` is used up (the call was not sent)."""
        ticket = current_ticket.get()
        now = self._clock()
        if not self._line and self.model.delay(now, images) <= 0:
            if ticket is not None:
                ticket.enter_wait()
                ticket.leave_wait(0.0, admitted=True)
            return self.model.admit(now, images)
        waiter = _Waiter(images, ticket, now)
        self._line.append(waiter)
        if ticket is not None:
            ticket.enter_wait()
        admitted = False
        try:
            await self._wait_turn(waiter)
            admitted = True
            return self.model.admit(self._clock(), images)
        finally:
            self._line.remove(waiter)
            if ticket is not None:
                ticket.leave_wait(self._clock() - waiter.since, admitted)
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
            delay = self.model.delay(now, waiter.images, ahead)
            if ahead == 0 and delay <= 0:
                return
            ticket = waiter.ticket
            if ticket is not None:
                waited = ticket.waited_s + (now - waiter.since)
                if waited >= ticket.max_wait_s:
                    raise errors.CapacityWaitError(ticket.max_wait_s)
                await self._maybe_tell(ticket, delay, now - waiter.since)
                budget = ticket.max_wait_s - waited
            else:
                budget = math.inf
            nap = min(delay if ahead == 0 else RECHECK_S, RECHECK_S, budget)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), max(nap, 0.01))

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
