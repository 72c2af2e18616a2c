"""Quotas, usage and interrupted jobs (the store).

Part of :mod:`bot.messages` (every sentence users read); Slack mrkdwn.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.messages.format import plural
from bot.slack_text import escape_mrkdwn

# --- Quotas, usage and interrupted jobs (the store) ----------------------------------------------


def slack_date(when: datetime, *, fmt: str = "{date_short_pretty} at {time}") -> str:
    """``when`` as a Slack date token, shown in each reader's own time zone, with a UTC fallback
    for clients that cannot render it (Slack "Formatting text for app surfaces": ``<!date^…>``)."""
    utc = when.astimezone(UTC)
    return f"<!date^{int(utc.timestamp())}^{fmt}|{utc:%Y-%m-%d %H:%M} UTC>"


def usd(amount: float) -> str:
    """An estimated amount of dollars: ``$12.50``, ``$0.042`` (three decimals under $1)."""
    if amount == 0 or abs(amount) >= 1:
        return f"${amount:,.2f}"
    return f"${amount:.3f}"


def quota_user_daily(limit: int, used: int, resets_at: datetime, requested: int | None) -> str:
    """Shown when a request would go over USER_DAILY_IMAGE_LIMIT."""
    text = f":no_entry: You've used {used:,} of your {plural(limit, 'image')} for today"
    if requested is not None and used < limit:
        text += f", and this request asks for {requested:,}. Ask for {limit - used:,} or fewer"
    return f"{text}. Your daily limit resets {slack_date(resets_at)}."


def quota_monthly_budget(
    limit_usd: float, used_usd: float, resets_at: datetime, requested_usd: float | None
) -> str:
    """Shown when a request would go over MONTHLY_BUDGET_USD (estimated costs)."""
    text = (
        f":money_with_wings: This workspace has used an estimated {usd(used_usd)} of its "
        f"{usd(limit_usd)} monthly image budget"
    )
    if requested_usd is not None:
        text += f", and this request would cost about {usd(requested_usd)}"
    return (
        f"{text}. The budget resets {slack_date(resets_at)}; "
        "ask your Slack admin if you need more before then."
    )


def interrupted_notice(user_prompt: str) -> str:
    """Sent to the owner of a job that a crash or restart cut short (with a Regenerate button)."""
    shown = user_prompt if len(user_prompt) <= 200 else user_prompt[:199] + "…"
    return (
        f":warning: Imagine restarted before your images were ready: “{escape_mrkdwn(shown)}”. "
        "Press *Regenerate* to run the request again."
    )


__all__ = [
    "interrupted_notice",
    "quota_monthly_budget",
    "quota_user_daily",
    "slack_date",
    "usd",
]
