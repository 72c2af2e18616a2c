"""``/imagine usage``: what a user (and, for admins, the workspace) has generated, as Slack mrkdwn.

Days and months are UTC (the store's periods); costs are estimates from the price table
(:mod:`bot.store.pricing`), not OpenAI's bill. Admins are the users in ``ADMIN_USER_IDS``.
"""

from __future__ import annotations

from datetime import datetime

from bot.messages import plural, slack_date, source_counts, usd
from bot.settings import Settings
from bot.store import Store, TeamUsage, Totals, UserUsage

ESTIMATE_NOTE = "Costs are estimates from Imagine's price table; OpenAI's invoice is the reference."


def totals_phrase(totals: Totals) -> str:
    """``3 images, est. $0.126``."""
    return f"{plural(totals.images, 'image')}, est. {usd(totals.cost_usd)}"


def user_usage_text(usage: UserUsage, *, daily_limit: int | None, is_admin: bool) -> str:
    """The user's part: today and this month, and what is left of their daily limit
    (``daily_limit`` is USER_DAILY_IMAGE_LIMIT, ``None`` when unset; admins are exempt)."""
    today = f"• Today: {totals_phrase(usage.today)}"
    if daily_limit is not None and is_admin:
        today += " (as an admin, the daily limit does not apply to you)"
    elif daily_limit is not None:
        left = max(daily_limit - usage.today.images, 0)
        today += (
            f" ({left:,} of your {daily_limit:,} daily images left; "
            f"resets {slack_date(usage.day_resets_at)})"
        )
    month = f"• This month: {totals_phrase(usage.month)}"
    if kinds := source_counts(usage.month_by_source):
        month += f" ({kinds})"
    return f"*Your Imagine usage*\n{today}\n{month}"


def team_usage_text(team: TeamUsage, *, mention_users: bool = True) -> str:
    """The workspace's month for admins: totals, budget and what is left of it, top users.
    ``mention_users`` renders users as ``<@U…>`` mentions."""
    people = "1 person" if team.active_users == 1 else f"{team.active_users:,} people"
    lines = [f"*Workspace this month* (resets {_when(team.resets_at)})"]
    lines.append(f"• {totals_phrase(team.month)} by {people}")
    if team.budget_usd is None:
        lines.append("• No monthly budget set (`MONTHLY_BUDGET_USD`).")
    else:
        lines.append(f"• Budget: {usd(team.budget_usd)}, {usd(team.budget_left_usd or 0.0)} left")
    if team.top_users:
        lines.append("• Top users:")
        for rank, user in enumerate(team.top_users, 1):
            who = f"<@{user.user_id}>" if mention_users else user.user_id
            lines.append(
                f"    {rank}. {who}: {plural(user.images, 'image')}, est. {usd(user.cost_usd)}"
            )
    return "\n".join(lines)


def usage_text(
    usage: UserUsage, *, daily_limit: int | None, is_admin: bool, team: TeamUsage | None = None
) -> str:
    """The whole ``/imagine usage`` answer: the user's part, the workspace's part when ``team``
    is given (admins), and a note that costs are estimates."""
    parts = [user_usage_text(usage, daily_limit=daily_limit, is_admin=is_admin)]
    if team is not None:
        parts.append(team_usage_text(team))
    parts.append(f"_{ESTIMATE_NOTE}_")
    return "\n\n".join(parts)


async def usage_reply(
    store: Store,
    settings: Settings,
    *,
    team_id: str,
    user_id: str,
    now: datetime | None = None,
    is_admin: bool | None = None,
) -> str:
    """Read the store and build :func:`usage_text` for ``user_id`` in ``team_id`` with the
    workspace's effective ``settings``; admins (``is_admin``; by default ADMIN_USER_IDS) also
    get the workspace summary with its monthly budget. Only ADMIN_USER_IDS are exempt from the
    daily limit."""
    exempt = user_id in settings.admin_user_ids
    is_admin = exempt if is_admin is None else is_admin
    usage = await store.reports.usage(team_id, user_id, now=now)
    team = None
    if is_admin:
        team = await store.reports.team_usage(
            team_id, now=now, budget_usd=settings.monthly_budget_usd
        )
    return usage_text(
        usage, daily_limit=settings.user_daily_image_limit, is_admin=exempt, team=team
    )


def _when(when: datetime | None) -> str:
    return slack_date(when, fmt="{date_short_pretty}") if when else "at the end of the month"
