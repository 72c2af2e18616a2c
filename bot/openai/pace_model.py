"""What is known about OpenAI's capacity, and when the next image call may go: the pure,
clock-free side of :mod:`bot.openai.pacing` (tested against recorded header sequences).

Each per-minute dimension (``images``, ``requests``) is a token bucket of ``limit`` tokens
refilling at ``limit / 60`` per second, as OpenAI's headers describe it (``reset`` is the time
until the bucket is full again, so its level is ``limit - reset * rate``). An answer's headers
describe the bucket when its call was sent; the model carries that forward to now (refill since,
minus the calls admitted since) and adopts it when it is lower than believed, or clearly higher.
When the headers show that others use the limit too (another instance: fewer tokens than
expected, or a 429), this process counts on a smaller share of the refill (multiplicative
decrease), and grows it back by steps while answers come as expected (additive increase), so
instances sharing an organisation converge on a split without sharing any state.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from bot.openai.ratelimit_headers import (
    StatedLimit,
    Window,
    is_images_dimension,
    is_rate_limit_answer,
    read_windows,
    stated_limit,
    try_again_in,
)

PERIOD_S = 60.0  # OpenAI's limits are per minute (RPM, TPM, IPM)
BUCKET_DIMENSIONS = ("requests", "images")  # dimensions a call costs a known amount of
RAISE_TOLERANCE = 1.0  # adopt a higher level from headers only when this many tokens higher
LOWER_TOLERANCE = 0.0  # a lower level is always adopted (it can only make us more careful)
MIN_SHARE = 0.1  # the least of a limit this process counts on, however busy the others are
BACK_OFF = 0.7  # others use the limit too (a 429, or fewer tokens than expected): share x this
GROW = 0.1  # an answer as expected: share + this (additive increase, multiplicative decrease)
SURPRISE_TOKENS = 0.5  # fewer tokens than expected by this many means others use the limit
NO_HINT_BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)  # a 429 without any retry hint
MAX_BLOCK_S = 600.0  # a retry hint beyond this is read as this
PROBE_IMAGES = 5  # images in flight before anything is known: the lowest tier's IPM (platform.md)
GUESS_GROW = 1.0  # a guessed images-per-minute limit grows by this per answered call
MARGIN_S = 0.1  # a call goes when its tokens are there with this much refill to spare
REORDER_S = 0.5  # calls admitted this close together may reach OpenAI in any order
HISTORY_S = 300.0  # how long admissions are remembered (to carry headers forward)


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
    synthetic: bool = False  # made from a 429 alone (no headers): headers replace it
    guessed: bool = False  # not even the 429 named a limit: guessed from its hint, then adapted
    settled_at: float = 0.0  # a bucket made from 429s counts on less at most once until then

    def resize(self, capacity: float, period_s: float) -> None:
        """A guessed bucket's new size (at least one token), its refill following."""
        self.capacity = max(capacity, 1.0)
        self.rate = self.capacity / period_s
        self.tokens = min(self.tokens, self.capacity)

    def grow(self, now: float, tokens: float, period_s: float) -> None:
        """A guessed bucket's call was answered: ``tokens`` more of capacity, and of level
        (each answer lets one more call go, as in a slow start)."""
        level = self.level(now)
        self.resize(self.capacity + tokens, period_s)
        self.set(now, level + tokens)

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

    def delay(self, now: float, cost: float, ahead: float = 0.0) -> float:
        """Seconds until ``cost`` tokens are there, with ``MARGIN_S`` of refill to spare
        (clocks and event loops are not exact), after ``ahead`` tokens taken by calls before
        it. A call costing a whole bucket or more (n at or above the limit) goes when the
        bucket is full: it could never go otherwise."""
        need = min(cost + self.share * MARGIN_S, self.capacity)
        missing = ahead + need - self.level(now)
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
        self.probing = 0  # images in flight while nothing is known
        # Until the first answer, even a known ceiling is no guide to what is left of it (the
        # instance before a restart may have used it up): a few probes go first.
        self.learned = False
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
            if not fits:
                return math.inf
        need = Admission(now, images)
        for dimension, bucket in self._all_buckets():
            cost = need.cost(dimension)
            if cost:
                requests_ahead = ahead / max(images, 1)
                extra = requests_ahead if dimension == "requests" else ahead
                wait = max(wait, bucket.delay(now, cost, extra))
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
        limited = is_rate_limit_answer(headers)
        if not limited:
            self._streak = 0
        if admission is not None and not self.learned:
            self.probing = max(self.probing - admission.images, 0)
        self.learned = True
        guess = self.buckets.get("images")
        if guess is not None and guess.guessed and admission is not None and not limited:
            guess.grow(now, GUESS_GROW, self.period_s)  # answered: try more
        if not windows:
            return
        for dimension in [d for d, b in self.buckets.items() if b.synthetic]:
            told = dimension in windows or (
                is_images_dimension(dimension) and any(map(is_images_dimension, windows))
            )
            if told and dimension not in windows:  # headers now tell of the limit itself
                del self.buckets[dimension]
        for dimension, window in windows.items():
            if dimension in BUCKET_DIMENSIONS or is_images_dimension(dimension):
                self._observe_bucket(now, admission, dimension, window, limited)
            elif window.remaining is not None and window.remaining <= 0 and window.reset_s:
                self.block(now, window.reset_s)  # e.g. tokens: the cost is not known ahead
        if self.ceiling is None and not any(map(is_images_dimension, self.buckets)):
            self._guess_images(now)

    def _guess_images(self, now: float) -> None:
        """Headers came, but none of an images limit (OpenAI's answers carry ``requests`` and
        ``tokens`` only; the images-per-minute limit shows in its 429s, platform.md "Rate
        limits"): start from the lowest tier's limit, minus the images sent in the last period,
        and grow it by ``GUESS_GROW`` per answered call (a slow start), so that a burst is not
        sent all at once into a limit that is not known yet. A 429 naming the limit replaces the
        guess; one naming none shrinks it."""
        capacity = float(PROBE_IMAGES)
        used = sum(a.images for a in self._history if a.at > now - self.period_s)
        self.buckets["images"] = Bucket(
            capacity, capacity / self.period_s, capacity - used, now, synthetic=True, guessed=True
        )

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
        stated = stated_limit(message)
        made = self._learn_from_refusal(now, stated, hint)
        guess = self.period_s / max(hint, 1e-3)  # one image per hint, as the server asks
        known = [b for _, b in self._all_buckets() if not b.guessed]
        token_s = max((self.period_s / b.capacity for b in known), default=0.0)
        hint = min(hint + self._rng.uniform(0, token_s * min(self._streak, 4)), MAX_BLOCK_S)
        self.block(now, hint)
        for dimension, bucket in self.buckets.items():
            mentioned = stated is not None and (
                is_images_dimension(dimension)
                if stated.dimension == "images"
                else dimension == stated.dimension
            )
            if not (mentioned or (stated is None and bucket.synthetic)):
                continue
            # Count on less, but once per hint for a bucket made from 429s: a burst sent
            # before anything was known comes back as a burst of 429s about one limit.
            counts = not bucket.synthetic or now >= bucket.settled_at
            if counts and bucket is not made:  # the one just made already says this 429
                if bucket.guessed:  # refused: the limit is lower than guessed
                    bucket.resize(min(bucket.capacity * BACK_OFF, guess), self.period_s)
                else:
                    bucket.factor = max(bucket.factor * BACK_OFF, MIN_SHARE)
            if counts:
                bucket.settled_at = now + hint
            # one token when the hint has passed, not before
            bucket.set(now, min(bucket.level(now), 1.0 - hint * bucket.share))
        return hint

    def _learn_from_refusal(
        self, now: float, stated: StatedLimit | None, hint_s: float
    ) -> Bucket | None:
        """A 429 from a server whose headers told nothing of a limit: pace by the limit its
        message names, or else guess one image per ``hint_s`` seconds (the wait it asked for)
        and adapt (OPENAI_IMAGES_PER_MINUTE states the real limit), so that the calls held
        back do not all go at once when the hint has passed. Returns the bucket it made."""
        if stated is not None and stated.dimension not in BUCKET_DIMENSIONS:
            return None  # e.g. tokens: the cost of a call is not known ahead; the hint holds
        if stated is not None and stated.limit > 0:
            known = self.buckets.get(stated.dimension)
            if stated.dimension == "images":
                known = known or next(
                    (b for d, b in self.buckets.items() if is_images_dimension(d)), None
                )
            if known is not None and not known.guessed:
                return None
            if known is not None:  # a guess: the limit named now replaces it
                self.buckets = {d: b for d, b in self.buckets.items() if b is not known}
            rate = stated.limit / self.period_s
            made = Bucket(stated.limit, rate, stated.limit - stated.used, now, synthetic=True)
            self.buckets[stated.dimension] = made
            return made
        if self.buckets or self.ceiling is not None:
            return None
        capacity = max(self.period_s / max(hint_s, 1e-3), 1.0)
        # nothing known of the level: one token when the hint has passed (set by the caller)
        made = Bucket(capacity, capacity / self.period_s, 1.0, now, synthetic=True, guessed=True)
        self.buckets["images"] = made
        return made

    def block(self, now: float, seconds: float) -> None:
        """No call goes before ``now + seconds``."""
        self.blocked_until = max(self.blocked_until, now + seconds)

    def _all_buckets(self) -> list[tuple[str, Bucket]]:
        pairs = list(self.buckets.items())
        if self.ceiling is not None:
            pairs.append(("images", self.ceiling))
        return pairs
