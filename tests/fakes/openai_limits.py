"""OpenAI's organisation rate limits, for :class:`tests.fakes.FakeOpenAI` (``images_per_minute``
or ``--ipm N``).

Each dimension is a token bucket, as OpenAI describes its limits (platform.md, "Rate limits"):
``limit`` tokens, refilled continuously at ``limit`` per period (60 s), full at start. A request
is decided when it arrives and costs its images (``n``; 1 for a Responses call) and one request
**whether or not it is refused**: failed requests count against the limit, so the bucket can go
below zero and a storm of retries keeps the limit shut for longer. Every answer carries
``x-ratelimit-limit-<dim>``, ``x-ratelimit-remaining-<dim>`` and ``x-ratelimit-reset-<dim>`` (a
Go-style duration, ``1s``, ``6m0s``, ``20ms``: the time until the bucket is full again) for
``requests``, ``tokens`` and ``images``; a refused request gets 429 ``rate_limit_exceeded``
with ``retry-after`` (whole seconds), ``retry-after-ms`` and "Please try again in 6s." in the
message, like OpenAI's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

DEFAULT_REQUESTS_PER_MINUTE = 500
DEFAULT_TOKENS_PER_MINUTE = 100_000
RATE_LIMIT_HEADERS = web.RequestKey("ratelimit_headers", dict)  # an answer's x-ratelimit-*


def go_duration(seconds: float) -> str:
    """``seconds`` as OpenAI writes durations: ``20ms``, ``1s``, ``6.5s``, ``6m0s``."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        return f"{math.ceil(seconds * 1000)}ms"
    if seconds < 60:
        text = f"{seconds:.3f}".rstrip("0").rstrip(".")
        return f"{text}s"
    minutes, rest = divmod(seconds, 60)
    text = f"{rest:.3f}".rstrip("0").rstrip(".")
    return f"{int(minutes)}m{text}s"


@dataclass
class Bucket:
    """One limit: ``limit`` tokens per ``period_s``; ``level`` at time ``updated``."""

    name: str
    limit: int
    period_s: float
    level: float
    updated: float

    @property
    def rate(self) -> float:
        """Tokens added per second."""
        return self.limit / self.period_s

    def refill(self, now: float) -> None:
        """Bring ``level`` to ``now``."""
        self.level = min(self.limit, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def headers(self) -> dict[str, str]:
        """This bucket's three ``x-ratelimit-*`` headers (after :meth:`refill`)."""
        reset = (self.limit - self.level) / self.rate
        return {
            f"x-ratelimit-limit-{self.name}": str(self.limit),
            f"x-ratelimit-remaining-{self.name}": str(max(0, math.floor(self.level))),
            f"x-ratelimit-reset-{self.name}": go_duration(reset),
        }


@dataclass(frozen=True)
class Verdict:
    """What the limiter decided about one request: ``allowed``, the ``headers`` for its answer,
    and for a refusal ``retry_after_s`` and the ``message``."""

    allowed: bool
    headers: dict[str, str]
    retry_after_s: float = 0.0
    message: str = ""


class RateLimits:
    """The organisation's images-per-minute (and requests, tokens) limits. ``clock`` is a
    monotonic clock (tests pass their own); ``period_s`` shortens the minute for fast tests.

    ``images_headers=False`` leaves the images dimension out of the headers (platform.md names
    only ``requests`` and ``tokens``). Counters: ``allowed`` and ``refused`` requests."""

    def __init__(
        self,
        images_per_minute: int,
        *,
        requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
        tokens_per_minute: int = DEFAULT_TOKENS_PER_MINUTE,
        period_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        images_headers: bool = True,
    ) -> None:
        if images_per_minute < 1:
            raise ValueError("images_per_minute must be at least 1")
        self._clock = clock
        now = clock()
        self.images = Bucket("images", images_per_minute, period_s, images_per_minute, now)
        self.requests = Bucket("requests", requests_per_minute, period_s, requests_per_minute, now)
        self.tokens = Bucket("tokens", tokens_per_minute, period_s, tokens_per_minute, now)
        self.allowed = 0
        self.refused = 0
        # False: answers carry only the requests and tokens headers, as platform.md describes
        # OpenAI's; the images limit then shows only in its 429s
        self.images_headers = images_headers

    def peek(self) -> dict[str, str]:
        """The headers of an answer that is not counted (e.g. refused before the limiter)."""
        return self._headers(self._clock())

    def take_request(self, body: Any) -> Verdict:
        """:meth:`take` for a request body (JSON object or multipart fields): its ``n`` images
        (1 when absent: a Responses call makes one) of its ``model``."""
        fields = body if isinstance(body, dict) else {}
        n = fields.get("n", 1)
        if isinstance(n, str) and n.isdigit():
            n = int(n)
        images = n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 1
        return self.take(images, str(fields.get("model") or "gpt-image-2"))

    def take(self, images: int, model: str = "gpt-image-2") -> Verdict:
        """Decide a request for ``images`` images arriving now; it costs its images and one
        request even when refused."""
        now = self._clock()
        for bucket in (self.images, self.requests, self.tokens):
            bucket.refill(now)
        short = [b for b, cost in ((self.images, images), (self.requests, 1)) if b.level < cost]
        for bucket, cost in ((self.images, images), (self.requests, 1)):
            bucket.level = max(bucket.level - cost, -bucket.limit)
        if not short:
            self.allowed += 1
            return Verdict(True, self._headers(now))
        self.refused += 1
        bucket = short[0]
        cost = images if bucket is self.images else 1
        wait = max((min(cost, bucket.limit) - bucket.level) / bucket.rate, 0.001)
        used = bucket.limit - max(0, math.floor(bucket.level + cost))
        what = "images per minute (IPM)" if bucket is self.images else "requests per min (RPM)"
        message = (
            f"Rate limit reached for {model} in organization org-fake on {what}: "
            f"Limit {bucket.limit}, Used {used}, Requested {cost}. "
            f"Please try again in {go_duration(wait)}. "
            "Visit https://platform.openai.com/account/rate-limits to learn more."
        )
        headers = self._headers(now)
        headers["retry-after"] = str(math.ceil(wait))
        headers["retry-after-ms"] = str(math.ceil(wait * 1000))
        return Verdict(False, headers, wait, message)

    def _headers(self, now: float) -> dict[str, str]:
        headers: dict[str, str] = {}
        for bucket in (self.requests, self.tokens, self.images):
            bucket.refill(now)
            if bucket is not self.images or self.images_headers:
                headers.update(bucket.headers())
        return headers


def add_rate_limit_headers(
    limits: Callable[[], RateLimits | None],
) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    """An ``on_response_prepare`` hook: every API answer carries the ``x-ratelimit-*`` headers
    (the request's own, or the current ones for a request refused before the limiter)."""

    async def hook(request: web.Request, response: web.StreamResponse) -> None:
        current = limits()
        if current is not None and not request.path.startswith("/v1/files/"):
            response.headers.update(request.get(RATE_LIMIT_HEADERS) or current.peek())

    return hook
