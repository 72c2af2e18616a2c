"""Quotas, /imagine usage and the Home tab through the real app (the store on SQLite)."""

from __future__ import annotations

import json


async def test_daily_limit_refuses_before_openai_is_called(start_imagine, openai_mock) -> None:
    async with start_imagine(user_daily_image_limit=2) as imagine:
        first = await imagine.command("--n 2 a fox")
        assert "Generating 2 images" in first.body["text"]
        await imagine.slack.wait_for(lambda: any(m.files for m in imagine.slack.messages))
        refused = await imagine.command("one more fox")
        assert "You've used 2 of your 2 images for today" in refused.body["text"]
        assert "resets" in refused.body["text"]
        assert openai_mock["responses"].call_count == 2


async def test_admins_are_exempt_from_the_daily_limit(start_imagine, openai_mock) -> None:
    async with start_imagine(user_daily_image_limit=1, admin_user_ids=["U1"]) as imagine:
        await imagine.command("a fox")
        again = await imagine.command("another fox")
        assert "Generating 1 image" in again.body["text"]


async def test_monthly_budget_refuses_with_the_amounts(start_imagine, openai_mock) -> None:
    async with start_imagine(monthly_budget_usd=0.0) as imagine:
        refused = await imagine.command("a fox")
        assert "monthly image budget" in refused.body["text"] and "$0.00" in refused.body["text"]
        assert openai_mock["responses"].call_count == 0


async def test_usage_for_a_user_and_an_admin(start_imagine) -> None:
    async with start_imagine(admin_user_ids=["U9"], monthly_budget_usd=50.0) as imagine:
        await imagine.command("--n 2 a fox")
        await imagine.slack.wait_for(lambda: imagine.slack.calls_to("chat.postMessage"))
        await imagine.slack.wait_for(lambda: imagine.services.jobs.running == 0)
        mine = await imagine.command("usage")
        assert "Today: 2 images" in mine.body["text"] and "Workspace" not in mine.body["text"]
        admin = await imagine.command("usage", user="U9")
        assert "Workspace this month" in admin.body["text"] and "<@U1>" in admin.body["text"]
        assert "$50.00" in admin.body["text"]


async def test_home_tab_shows_recent_generations(start_imagine) -> None:
    async with start_imagine() as imagine:
        await imagine.command("a lighthouse at dusk")
        await imagine.slack.wait_for(lambda: imagine.slack.calls_to("chat.postMessage"))
        await imagine.slack.wait_for(lambda: imagine.services.jobs.running == 0)
        answer = await imagine.event(
            {
                "type": "app_home_opened",
                "user": "U1",
                "channel": "D1",
                "tab": "home",
                "event_ts": "1.2",
            },
            event_id="EvHome",
        )
        assert answer.status == 200
        await imagine.slack.wait_for(lambda: "U1" in imagine.slack.home_views)
        view = imagine.slack.home_views["U1"]
        assert view["type"] == "home" and "a lighthouse at dusk" in json.dumps(view)
