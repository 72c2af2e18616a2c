"""The app's Home tab: the user's usage and recent generations and, for admins, the workspace's
month.

Built with slack_sdk's ``View`` and block models and published with ``views.publish`` (Slack
"Building an App Home"; a view holds at most 100 blocks, a section's text at most 3000
characters). Each recent generation shows its prompt, when (a ``<!date^…>`` token, shown in the
reader's time zone) and where (``<#C…>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import messages
from bot.messages import home_model_notice, plural, slack_date, usd
from bot.settings import Settings
from bot.slack_text import escape_mrkdwn
from bot.store import HistoryItem, Store, TeamUsage, UserUsage
from bot.usage import team_usage_text, user_usage_text

RECENT_SHOWN = 10
PROMPT_SHOWN_CHARS = 280
INTRO = (
    "Turn a prompt into images right where you work: `/imagine a watercolour fox`, "
    "mention me in a thread, or use the *Imagine a slide* and *Imagine a brand asset* shortcuts."
)
NOTHING_YET = "You haven't generated any images yet. Try `/imagine a lighthouse at dawn`."
_STATUS = {
    "queued": ":hourglass_flowing_sand: in progress",
    "running": ":hourglass_flowing_sand: in progress",
    "ok": "",
    "partial": ":warning: some images failed",
    "timeout": ":warning: timed out",
    "interrupted": ":warning: interrupted by a restart",
}


def where(item: HistoryItem) -> str:
    """Where a generation went: ``<#C123>``, ``a thread in <#C123>``, or ``a direct message``."""
    place = "a direct message" if item.channel_id.startswith("D") else f"<#{item.channel_id}>"
    return f"a thread in {place}" if item.thread_ts else place


def status_text(status: str) -> str:
    """A short note for a non-ok status (empty for ``ok``); errors read as ``failed``."""
    return _STATUS.get(status, ":x: failed")


def history_blocks(items: list[HistoryItem]) -> list[Block]:
    """Two blocks per generation (prompt; when, where, images, cost and status), or one
    block saying there is nothing yet."""
    if not items:
        return [SectionBlock(text=MarkdownTextObject(text=NOTHING_YET))]
    blocks: list[Block] = []
    for item in items:
        prompt = item.prompt
        if len(prompt) > PROMPT_SHOWN_CHARS:
            prompt = prompt[: PROMPT_SHOWN_CHARS - 1] + "…"
        details = [
            slack_date(item.queued_at),
            f"in {where(item)}",
            f"{plural(item.images, 'image')}, est. {usd(item.cost_usd)}",
        ]
        if label := messages.history_source(item.source, item.parent_prompt):
            details.append(label)
        if status := status_text(item.status):
            details.append(status)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=escape_mrkdwn(prompt))))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=" · ".join(details))]))
    return blocks


def build_home_view(
    *,
    usage: UserUsage,
    recent: list[HistoryItem],
    daily_limit: int | None,
    is_admin: bool,
    team: TeamUsage | None = None,
    admin_blocks: Sequence[Block] = (),
    notices: Sequence[str] = (),
) -> View:
    """The Home tab: intro, the user's usage, their recent generations (newest first) and,
    when ``team`` is given (admins), the workspace summary, after the model ``notices``
    (plain sentences, e.g. a model's shutdown date), then ``admin_blocks`` (the workspace's
    settings, :mod:`bot.workspace.home_section`). ``is_admin`` here means exempt from the daily
    limit (ADMIN_USER_IDS)."""
    blocks: list[Block] = [
        HeaderBlock(text="Imagine"),
        SectionBlock(text=MarkdownTextObject(text=INTRO)),
        SectionBlock(
            text=MarkdownTextObject(
                text=user_usage_text(usage, daily_limit=daily_limit, is_admin=is_admin)
            )
        ),
        DividerBlock(),
        HeaderBlock(text="Your recent images"),
        *history_blocks(recent[:RECENT_SHOWN]),
    ]
    if team is not None:
        blocks += [
            DividerBlock(),
            HeaderBlock(text="Workspace (admins only)"),
            *(
                SectionBlock(text=MarkdownTextObject(text=home_model_notice(notice)))
                for notice in notices
            ),
            SectionBlock(text=MarkdownTextObject(text=team_usage_text(team))),
        ]
    blocks += admin_blocks
    return View(type="home", blocks=blocks)


async def home_view(
    store: Store,
    settings: Settings,
    *,
    team_id: str,
    user_id: str,
    now: datetime | None = None,
    is_admin: bool | None = None,
    admin_blocks: Sequence[Block] = (),
    notices: Sequence[str] = (),
) -> View:
    """Read the store and build :func:`build_home_view` for ``user_id`` in ``team_id`` with the
    workspace's effective ``settings``. Admins (``is_admin``; by default ADMIN_USER_IDS) also
    see the workspace's month with its monthly budget, ``notices`` (the start-up model check's,
    :class:`bot.openai.model_check.ModelNotice` texts) and ``admin_blocks``; only
    ADMIN_USER_IDS are exempt from the daily limit."""
    exempt = user_id in settings.admin_user_ids
    is_admin = exempt if is_admin is None else is_admin
    usage = await store.reports.usage(team_id, user_id, now=now)
    recent = await store.reports.recent(team_id, user_id, limit=RECENT_SHOWN)
    team = None
    if is_admin:
        team = await store.reports.team_usage(
            team_id, now=now, budget_usd=settings.monthly_budget_usd
        )
    return build_home_view(
        usage=usage,
        recent=recent,
        daily_limit=settings.user_daily_image_limit,
        is_admin=exempt,
        team=team,
        admin_blocks=admin_blocks if is_admin else (),
        notices=notices,
    )
