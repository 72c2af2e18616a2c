"""Per-workspace settings and the installation pages (issue #11).

Part of :mod:`bot.messages` (every sentence users read); Slack mrkdwn.
"""

from __future__ import annotations

from datetime import datetime

from bot.messages.format import plural
from bot.messages.quotas import slack_date

# --- Per-workspace settings (issue #11) ---------------------------------------------------------

SETTINGS_TITLE = "Imagine settings"
SETTINGS_ADMINS_ONLY = (
    ":lock: Only this workspace's admins and owners (or Imagine's operators) can change "
    "Imagine's settings."
)
CHANNEL_LIST_SHOWN = 10


def channel_not_allowed(allowed: list[str]) -> str:
    """Shown for a request in a channel outside the workspace's allowed channels."""
    shown = [f"<#{channel}>" for channel in allowed[:CHANNEL_LIST_SHOWN]]
    more = len(allowed) - len(shown)
    if more > 0:
        shown.append(f"{plural(more, 'other channel')}")
    where = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    return (
        f":no_entry: Imagine isn't enabled in this channel. You can use it in {where}, "
        "or in a direct message with Imagine."
    )


def brand_guide_too_long(length: int, limit: int) -> str:
    """Settings modal: the brand guide is over its limit."""
    return f"The brand guide is {length:,} characters; the limit is {limit:,}. Shorten it."


def whole_number_needed(what: str, maximum: int) -> str:
    """Settings modal: a count that is not a whole number from 0 to ``maximum``."""
    return f"{what} must be a whole number from 0 to {maximum:,}, or empty for no limit."


def amount_needed(what: str, maximum: float) -> str:
    """Settings modal: an amount of dollars that is not a number from 0 to ``maximum``."""
    return f"{what} must be an amount in USD from 0 to {maximum:,.0f}, or empty for no budget."


def channels_invalid(count: int, maximum: int) -> str:
    """Settings modal: too many channels, or something that is not a channel."""
    if count > maximum:
        return f"Pick at most {maximum} channels ({count} chosen)."
    return "Pick public or private channels only (direct messages are always allowed)."


def settings_change_line(who: str, when: datetime, parts: list[str]) -> str:
    """One line of the settings history on the Home tab."""
    return f"{slack_date(when)} · <@{who}> " + "; ".join(parts)


# --- Installation pages and uninstalled workspaces (OAuth mode, issue #11) ---------------------

INSTALL_PAGE_TITLE = "Add Imagine to Slack"
INSTALL_PAGE_TEXT = (
    "Imagine turns a prompt into images right where your team works: /imagine, message "
    "shortcuts and mentions. Add it to your Slack workspace:"
)
INSTALLED_TITLE = "Imagine is installed"
INSTALL_FAILED_TITLE = "Imagine was not installed"
INSTALL_AGAIN = "Start again from the Add to Slack page"
NOT_INSTALLED = (
    ":warning: Imagine is no longer installed in this workspace, so it cannot answer. "
    "Ask a workspace admin to add it again."
)
_INSTALL_FAILURES = {
    "access_denied": "The installation was cancelled, so nothing was installed.",
    "invalid_browser": (
        "This installation was started in another browser, or its link has expired, so it "
        "cannot be finished here."
    ),
    "invalid_state": "This installation link has expired or has already been used.",
    "missing_code": "Slack did not send an authorization code.",
    "invalid_code": (
        "Slack did not accept the installation: the authorization code was refused or has "
        "expired, or Slack could not be reached."
    ),
    "storage_error": "Imagine could not save the installation. Please try again in a few minutes.",
    "server_error": "Imagine could not finish the installation. Please try again in a few minutes.",
}


def installed(team_name: str | None) -> str:
    """The page after a successful installation (plain text; the page escapes it)."""
    where = f"the {team_name} workspace" if team_name else "your workspace"
    return (
        f"Imagine is now in {where}. Type /imagine and a prompt in any channel, or open "
        "Imagine's Home tab to get started."
    )


def install_failed(reason: str) -> str:
    """Why an installation failed (``reason``: Bolt's failure reason, or the ``error`` Slack put
    on the redirect), in plain text; the page escapes it."""
    known = _INSTALL_FAILURES.get(reason)
    if known is None:
        known = f"Slack reported an error: {reason[:100]}."
    return f"{known} {INSTALL_AGAIN}."


__all__ = [
    "CHANNEL_LIST_SHOWN",
    "INSTALLED_TITLE",
    "INSTALL_AGAIN",
    "INSTALL_FAILED_TITLE",
    "INSTALL_PAGE_TEXT",
    "INSTALL_PAGE_TITLE",
    "NOT_INSTALLED",
    "SETTINGS_ADMINS_ONLY",
    "SETTINGS_TITLE",
    "amount_needed",
    "brand_guide_too_long",
    "channel_not_allowed",
    "channels_invalid",
    "install_failed",
    "installed",
    "settings_change_line",
    "whole_number_needed",
]
