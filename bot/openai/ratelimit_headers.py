"""OpenAI's rate-limit headers and 429 hints, read (platform.md, "Rate limits").

Every answer carries ``x-ratelimit-{limit,remaining,reset}-<dim>`` for ``requests``, ``tokens``
and possibly an images-specific ``<dim>``; reset is a Go-style duration (``1s``, ``6m0s``,
``20ms``). A 429 ``rate_limit_exceeded`` may carry ``retry-after`` / ``retry-after-ms`` and says
"Please try again in Ns".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

HEADER_PREFIX = "x-ratelimit-"

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


# "Rate limit reached for images per minute (IPM): Limit 5, Used 5, Requested 1." and "… on
# requests per min (RPM): Limit 3, Used 3, Requested 1." (OpenAI's 429 messages)
_STATED = re.compile(
    r"(images|requests|tokens) per min(?:ute)?\s*(?:\([A-Z]+\))?\s*:\s*"
    r"Limit\s+(\d+(?:\.\d+)?),\s*Used\s+(\d+(?:\.\d+)?)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StatedLimit:
    """What a 429 message says of the limit it hit: its ``dimension`` (``images``,
    ``requests`` or ``tokens``), the ``limit`` per minute and how much was ``used``."""

    dimension: str
    limit: float
    used: float


def stated_limit(message: str | None) -> StatedLimit | None:
    """The limit a 429 message names ("… images per minute (IPM): Limit 5, Used 5 …"), or
    ``None`` when it names none."""
    found = _STATED.search(message or "")
    if found is None:
        return None
    return StatedLimit(found.group(1).lower(), float(found.group(2)), float(found.group(3)))


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


def is_rate_limit_answer(headers: Mapping[str, str]) -> bool:
    """True when the answer carries a retry hint (``retry-after`` or ``retry-after-ms``)."""
    return any(name.lower() in ("retry-after", "retry-after-ms") for name in headers)


def is_images_dimension(dimension: str) -> bool:
    """True for an images-specific dimension (``images``, ``images_per_minute``, …)."""
    return "image" in dimension
