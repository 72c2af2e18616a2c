"""Two workspaces served by one app: each has its own settings, limits, budget, history, usage
and Home tab; neither sees the other's data, prompts or images (issue #11)."""

from __future__ import annotations

import json

from tests.harness import Imagine
from tests.workspace_support import (
    command,
    open_home,
    settings_values,
    submit_settings,
)


def texts_of(imagine: Imagine, user: str) -> str:
    blocks = imagine.slack.home_views[user]["blocks"]
    return json.dumps(blocks)


async def test_each_workspace_has_its_own_settings_limits_and_data(
    start_imagine, openai_mock
) -> None:
    async with start_imagine(admin_user_ids="UA1,UA2") as imagine:
        # T1's admin sets a brand guide, a limit of 1 image a day and a channel list.
        values = settings_values(brand_guide="T1 teal", limit="1", channels=["C1"])
        answer = await submit_settings(imagine, values, team="T1", user="UA1")
        assert answer.body is None

        assert "Generating" in (await command(imagine, "t1 secret fox", team="T1")).body["text"]
        refused = (await command(imagine, "t1 again", team="T1")).body["text"]
        assert "You've used 1 of your 1 image for today" in refused
        refused = (await command(imagine, "t1 elsewhere", team="T1", channel="C5")).body["text"]
        assert "isn't enabled in this channel" in refused

        # T2 has set nothing: the environment's defaults (no limit, every channel).
        for prompt in ("t2 owl one", "t2 owl two"):
            ack = await command(imagine, prompt, team="T2", user="U2", channel="C5")
            assert "Generating" in ack.body["text"]
        await imagine.slack.wait_for(lambda: len(openai_mock["responses"].calls) == 3)

        # Each workspace's usage counts only its own images.
        t2_usage = (await command(imagine, "usage", team="T2", user="UA2")).body["text"]
        assert "2 images" in t2_usage and "<@U2>" in t2_usage and "<@U1>" not in t2_usage
        t1_usage = (await command(imagine, "usage", team="T1", user="UA1")).body["text"]
        assert "1 image," in t1_usage and "<@U1>" in t1_usage and "<@U2>" not in t1_usage

        # Home tabs: own history only, own settings and change history only.
        await open_home(imagine, team="T2", user="UA2")
        await open_home(imagine, team="T1", user="UA1")
        await open_home(imagine, team="T2", user="U2")
        await imagine.slack.wait_for(lambda: {"UA1", "UA2", "U2"} <= set(imagine.slack.home_views))
        t2_admin = texts_of(imagine, "UA2")
        assert "T1 teal" not in t2_admin and "Images per user per day: no limit" in t2_admin
        assert "No changes yet" in t2_admin
        assert "t1 secret fox" not in t2_admin
        t1_admin = texts_of(imagine, "UA1")
        assert "T1 teal" in t1_admin and "<@UA1> " in t1_admin
        t2_user = texts_of(imagine, "U2")
        assert "t2 owl one" in t2_user and "t1 secret fox" not in t2_user

        # A budget of $0 in T2 stops T2 only.
        answer = await submit_settings(imagine, settings_values(budget="0"), team="T2", user="UA2")
        assert answer.body is None
        refused = (await command(imagine, "t2 three", team="T2", user="U2")).body["text"]
        assert "monthly image budget" in refused
        assert (
            "isn't enabled"
            in (await command(imagine, "t1 x", team="T1", channel="C9")).body["text"]
        )
        ack = await command(imagine, "t1 other user", team="T1", user="U7")
        assert "Generating" in ack.body["text"]

        # Images went where they were asked for, each prompt to OpenAI once.
        await imagine.slack.wait_for(lambda: len(openai_mock["responses"].calls) == 4)
        prompts = [json.loads(c.request.content)["input"] for c in openai_mock["responses"].calls]
        assert sorted(prompts) == sorted(
            ["t1 secret fox", "t2 owl one", "t2 owl two", "t1 other user"]
        )
