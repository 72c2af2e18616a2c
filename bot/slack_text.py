"""Turning Slack's escaped message text into a plain prompt, and plain text back into mrkdwn.

Source: Slack "Formatting text for app surfaces" (docs.slack.dev/messaging/formatting-message-text):
``&``, ``<`` and ``>`` arrive as ``&amp;``, ``&lt;``, ``&gt;``; mentions and links arrive as
``<@U123|name>``, ``<#C123|name>``, ``<!here>``, ``<!subteam^S123|@team>``, ``<https://x|label>``.
"""

from __future__ import annotations

import re
import unicodedata

_ANGLE = re.compile(r"<([^<>]*)>")
_CONTROL = {c for c in map(chr, range(32)) if c not in "\n\t"} | {chr(127)}


def _angle_to_text(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        # A user mention: its label is the display name; a bare id never goes to OpenAI.
        return "@" + label.lstrip("@") if label else "someone"
    if target.startswith("#"):
        return "#" + label if label else "a channel"
    if target.startswith("!"):
        special = target[1:]
        if special.startswith(("subteam^", "date^")):
            return label or "a group"
        return "@" + special.split("^")[0]
    return label or target.removeprefix("mailto:")


def drop_mentions(text: str, user_ids: tuple[str, ...]) -> str:
    """Remove every mention of ``user_ids`` from escaped Slack ``text`` (the bot's own mention in
    an ``app_mention`` event), leaving a space in its place."""
    for user_id in user_ids:
        text = re.sub(rf"<@{re.escape(user_id)}(\|[^>]*)?>", " ", text)
    return text


def slack_to_plain(text: str) -> str:
    """Return ``text`` as a person would read it: entities unescaped, mentions replaced by names,
    links by their labels, control characters removed, whitespace trimmed.

    Bare user mentions (``<@U123>``) become "someone": Slack ids are never sent to OpenAI.
    """
    text = _ANGLE.sub(_angle_to_text, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return clean_text(text)


def clean_text(text: str) -> str:
    """NFC-normalise ``text``, drop control characters (tabs and newlines stay) and trim it.
    For text that Slack does not escape, such as a modal's ``plain_text_input`` value."""
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch not in _CONTROL).strip()


def escape_mrkdwn(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` so that ``text`` shows verbatim in a Slack message."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
