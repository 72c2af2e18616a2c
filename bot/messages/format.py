"""Formatting helpers shared by the message modules.

Part of :mod:`bot.messages` (every sentence users read); Slack mrkdwn.
"""

from __future__ import annotations


def join_quoted(values: tuple[str, ...] | list[str]) -> str:
    quoted = [f"`{v}`" for v in values]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def plural(count: int, word: str) -> str:
    """``1 image``, ``2 images``."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


__all__ = [
    "join_quoted",
    "plural",
]
