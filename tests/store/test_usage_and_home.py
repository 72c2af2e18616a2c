"""``/imagine usage`` for a user and an admin, the Home tab view, and ``app_home_opened``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.home import build_home_view, home_view
from bot.listeners.events.app_home import app_home_opened
from bot.settings import Settings
from bot.store import HistoryItem, Store, TeamUsage, Totals, UserTotal, UserUsage
from bot.usage import usage_reply
from tests.store.support import make_generation, make_job
from tests.workspace_support import listener_services

NOON = datetime(2026, 9, 14, 12, 0, tzinfo=UTC)
EARLIER_THIS_MONTH = datetime(2026, 9, 2, 8, 30, tzinfo=UTC)
LAST_MONTH = datetime(2026, 8, 30, 9, 0, tzinfo=UTC)
RESET_DAY = "<!date^1789430400^{date_short_pretty} at {time}|2026-09-15 00:00 UTC>"
RESET_MONTH = "<!date^1790812800^{date_short_pretty}|2026-10-01 00:00 UTC>"
NOTE = "_Costs are estimates from Imagine's price table; OpenAI's invoice is the reference._"


async def generate(store: Store, *, when: datetime, **job: Any) -> None:
    """One request run to the end, queued at ``when``."""
    made = make_job(**job)
    await store.reservations.check_and_reserve(
        made,
        user_daily_image_limit=None,
        monthly_budget_usd=None,
        admin_user_ids=frozenset(),
        now=when,
    )
    await store.history.started(made)
    await store.history.record_generation(made, make_generation(made, made.request.n))
    await store.history.finished(made, outcome="ok", error=None)


@pytest.fixture
async def history(store: Store) -> Store:
    """U1: 3 images today, 3 earlier this month, 1 last month; U2: 4 images today."""
    await generate(store, when=LAST_MONTH, user="U1", n=1, prompt="last month")
    await generate(store, when=EARLIER_THIS_MONTH, user="U1", n=3, prompt="a foggy pier")
    await generate(
        store,
        when=NOON,
        user="U1",
        n=2,
        quality="medium",
        prompt="a red fox",
        channel="C1",
        thread_ts="1757851200.000100",
    )
    await generate(
        store, when=NOON.replace(hour=13), user="U1", n=1, prompt="a <b> & blue cat", channel="D42"
    )
    await generate(store, when=NOON, user="U2", n=4, prompt="four owls")
    return store


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(admin_user_ids="UA,UB", user_daily_image_limit=10, monthly_budget_usd=1.0)


async def test_usage_for_a_user(history: Store, settings: Settings) -> None:
    text = await usage_reply(history, settings, team_id="T1", user_id="U1", now=NOON)
    assert text == (
        "*Your Imagine usage*\n"
        f"• Today: 3 images, est. $0.027 (7 of your 10 daily images left; resets {RESET_DAY})\n"
        "• This month: 6 images, est. $0.042\n\n"
        f"{NOTE}"
    )


async def test_usage_for_an_admin_adds_the_workspace_month(
    history: Store, settings: Settings
) -> None:
    text = await usage_reply(history, settings, team_id="T1", user_id="UA", now=NOON)
    assert text == (
        "*Your Imagine usage*\n"
        "• Today: 0 images, est. $0.00 (as an admin, the daily limit does not apply to you)\n"
        "• This month: 0 images, est. $0.00\n\n"
        f"*Workspace this month* (resets {RESET_MONTH})\n"
        "• 10 images, est. $0.062 by 2 people\n"
        "• Budget: $1.00, $0.938 left\n"
        "• Top users:\n"
        "    1. <@U1>: 6 images, est. $0.042\n"
        "    2. <@U2>: 4 images, est. $0.020\n\n"
        f"{NOTE}"
    )


async def test_usage_without_limits(history: Store, make_settings: Callable[..., Settings]) -> None:
    text = await usage_reply(
        history, make_settings(admin_user_ids="UA"), team_id="T1", user_id="UA", now=NOON
    )
    assert "• Today: 0 images, est. $0.00\n" in text
    assert "• No monthly budget set (`MONTHLY_BUDGET_USD`)." in text


def test_home_view_blocks() -> None:
    usage = UserUsage(
        team_id="T1",
        user_id="U1",
        today=Totals(3, 0.027, 2),
        month=Totals(6, 0.042, 3),
        day_resets_at=datetime(2026, 9, 15, tzinfo=UTC),
        month_resets_at=datetime(2026, 10, 1, tzinfo=UTC),
    )
    recent = [
        HistoryItem("j2", "a <b> & blue cat", "D42", None, NOON, "running", 1, 0.005, "command"),
        HistoryItem("j1", "a red fox", "C1", "1.2", NOON, "ok", 2, 0.022, "mention"),
    ]
    team = TeamUsage(
        team_id="T1",
        month=Totals(10, 0.062, 5),
        top_users=[UserTotal("U1", 6, 0.042)],
        active_users=1,
        budget_usd=None,
        budget_left_usd=None,
        resets_at=datetime(2026, 10, 1, tzinfo=UTC),
    )

    view = build_home_view(usage=usage, recent=recent, daily_limit=None, is_admin=True, team=team)
    data = view.to_dict()

    assert data["type"] == "home"
    assert [block["type"] for block in data["blocks"]] == [
        "header",
        "section",
        "section",
        "divider",
        "header",
        "section",
        "context",
        "section",
        "context",
        "divider",
        "header",
        "section",
    ]
    blocks = data["blocks"]
    assert blocks[0]["text"] == {"type": "plain_text", "text": "Imagine", "emoji": True}
    assert blocks[2]["text"]["text"].startswith("*Your Imagine usage*\n• Today: 3 images")
    assert blocks[4]["text"]["text"] == "Your recent images"
    assert blocks[5] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "a &lt;b&gt; &amp; blue cat"},
    }
    assert blocks[6] == {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": "<!date^1789387200^{date_short_pretty} at {time}|2026-09-14 12:00 UTC> · "
                "in a direct message · 1 image, est. $0.005 · :hourglass_flowing_sand: in progress",
            }
        ],
    }
    assert blocks[8]["elements"][0]["text"] == (
        "<!date^1789387200^{date_short_pretty} at {time}|2026-09-14 12:00 UTC> · "
        "in a thread in <#C1> · 2 images, est. $0.022"
    )
    assert blocks[10]["text"]["text"] == "Workspace (admins only)"
    assert blocks[11]["text"]["text"].startswith("*Workspace this month*")
    assert "1. <@U1>: 6 images, est. $0.042" in blocks[11]["text"]["text"]


def test_home_view_for_a_new_user_without_admin_part() -> None:
    usage = UserUsage("T1", "U9", Totals(), Totals(), NOON, NOON)
    data = build_home_view(usage=usage, recent=[], daily_limit=5, is_admin=False).to_dict()
    texts = [block.get("text", {}).get("text") for block in data["blocks"]]
    assert "You haven't generated any images yet. Try `/imagine a lighthouse at dawn`." in texts
    assert "Workspace (admins only)" not in texts
    assert "(5 of your 5 daily images left" in texts[2]


class FakeClient:
    """Records ``views_publish`` calls as the Slack Web API client would receive them."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    async def users_info(self, *, user: str) -> dict[str, Any]:
        return {"ok": True, "user": {"id": user, "team_id": "T1", "is_admin": False}}

    async def views_publish(self, *, user_id: str, view: Any) -> dict[str, Any]:
        self.published.append({"user_id": user_id, "view": view.to_dict()})
        return {"ok": True}


def _context(store: Store, settings: Settings) -> dict[str, Any]:
    return {"imagine": listener_services(store, settings, model_notices=[]), "team_id": "T1"}


async def test_app_home_opened_publishes_the_users_home_tab(
    history: Store, settings: Settings
) -> None:
    client = FakeClient()
    event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}

    await app_home_opened(event=event, client=client, context=_context(history, settings))  # type: ignore[arg-type]

    [call] = client.published
    assert call["user_id"] == "U1"
    expected = await home_view(history, settings, team_id="T1", user_id="U1")
    assert call["view"] == expected.to_dict()
    texts = [block.get("text", {}).get("text", "") for block in call["view"]["blocks"]]
    # Newest first; last month's request is still in the history.
    assert (
        texts.index("a &lt;b&gt; &amp; blue cat")
        < texts.index("a red fox")
        < texts.index("a foggy pier")
        < texts.index("last month")
    )
    assert "Workspace (admins only)" not in texts


async def test_app_home_opened_shows_admins_the_workspace(
    history: Store, settings: Settings
) -> None:
    client = FakeClient()
    event = {"type": "app_home_opened", "user": "UB", "tab": "home"}
    await app_home_opened(event=event, client=client, context=_context(history, settings))  # type: ignore[arg-type]
    texts = [
        block.get("text", {}).get("text", "") for block in client.published[0]["view"]["blocks"]
    ]
    assert "Workspace (admins only)" in texts


async def test_app_home_opened_ignores_the_messages_tab(history: Store, settings: Settings) -> None:
    client = FakeClient()
    event = {"type": "app_home_opened", "user": "U1", "tab": "messages"}
    await app_home_opened(event=event, client=client, context=_context(history, settings))  # type: ignore[arg-type]
    assert client.published == []
