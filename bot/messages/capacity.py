"""Waiting for OpenAI capacity, cancel and resume after a restart (issue #10).

Part of :mod:`bot.messages` (every sentence users read); Slack mrkdwn.
"""

from __future__ import annotations

import math

from bot.messages.format import plural
from bot.slack_text import escape_mrkdwn

# --- Waiting for OpenAI, cancel and resume (issue #10) -------------------------------------------

WAITING_PREFIX = ":hourglass: Waiting for OpenAI capacity"
CANCEL_LABEL = "Cancel"


def _about(seconds: float) -> str:
    if seconds < 60:
        return "in less than a minute"
    minutes = math.ceil(seconds / 60)
    return f"in about {plural(minutes, 'minute')}"


def waiting_for_capacity(seconds: float) -> str:
    """Told once when a request waits for OpenAI's rate limit; ``seconds`` is the estimate."""
    return (
        f"{WAITING_PREFIX}: OpenAI limits how many images this workspace can make per minute, "
        f"and others asked first. Your request starts {_about(seconds)}."
    )


def capacity_wait_expired(max_wait_s: float) -> str:
    """Shown when a request waited MAX_WAIT_S for OpenAI capacity and was given up."""
    minutes = max_wait_s / 60
    span = plural(round(minutes), "minute") if minutes >= 1 else plural(int(max_wait_s), "second")
    return (
        f":warning: OpenAI had no capacity for your request for {span}, so I gave it up. "
        "Please try again later."
    )


def waiting_own_jobs(n: int, position: int, running: int) -> str:
    """The ack when the user already has ``running`` requests generating (MAX_JOBS_PER_USER)."""
    return (
        f":hourglass_flowing_sand: You're number {position:,} in line: you already have "
        f"{plural(running, 'request')} generating, and this one ({plural(n, 'image')}) starts "
        "when one of them is done."
    )


CANCELLED = ":no_entry_sign: Cancelled. Nothing was posted."
CANCEL_TOO_LATE = "Your images are already being posted, so this request can't be cancelled."
CANCEL_GONE = "This request has already finished."


def cancel_not_yours(owner_id: str) -> str:
    """Shown to someone who presses another person's Cancel button."""
    return f"Only <@{owner_id}> can cancel this request."


def cancelled_notice(user_prompt: str) -> str:
    """Replaces the ack of a cancelled request."""
    return f":no_entry_sign: Cancelled “{_short_prompt(user_prompt)}”. Nothing was posted."


def resumed_notice(user_prompt: str) -> str:
    """Told to the owner of a request that resumed by itself after a restart."""
    return (
        f":arrows_counterclockwise: Imagine restarted; your request “{_short_prompt(user_prompt)}” "
        "was resumed after a restart and is on its way."
    )


def _short_prompt(user_prompt: str) -> str:
    shown = user_prompt if len(user_prompt) <= 200 else user_prompt[:199] + "…"
    return escape_mrkdwn(shown)


def history_source(source: str, parent_prompt: str | None = None) -> str:
    """The Home tab's note for an edit, variations or a DM request (empty for the others),
    naming the image it started from by that request's prompt when known."""
    earlier = "an earlier image"
    if parent_prompt:
        shown = parent_prompt if len(parent_prompt) <= 60 else parent_prompt[:59] + "…"
        earlier = f"“{escape_mrkdwn(shown)}”"
    return {
        "edit": f":pencil2: edit of {earlier}",
        "variation": f":art: variations of {earlier}",
        "dm": ":speech_balloon: from a DM",
    }.get(source, "")


def source_counts(by_source: dict[str, int]) -> str:
    """``2 edits, 1 variation request, 3 from DMs`` for the sources shown apart (empty when
    none)."""
    parts = []
    if count := by_source.get("edit"):
        parts.append(plural(count, "edit"))
    if count := by_source.get("variation"):
        parts.append(plural(count, "variation request"))
    if count := by_source.get("dm"):
        parts.append(f"{count:,} from DMs")
    return ", ".join(parts)


__all__ = [
    "CANCELLED",
    "CANCEL_GONE",
    "CANCEL_LABEL",
    "CANCEL_TOO_LATE",
    "WAITING_PREFIX",
    "cancel_not_yours",
    "cancelled_notice",
    "capacity_wait_expired",
    "history_source",
    "resumed_notice",
    "source_counts",
    "waiting_for_capacity",
    "waiting_own_jobs",
]
