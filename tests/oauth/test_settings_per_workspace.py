"""Per-workspace settings in OAuth mode (issue #11): two workspaces installed with "Add to Slack",
each admin recognised with its own workspace's token, each workspace with its own settings and
limits."""

from __future__ import annotations

from tests.oauth.support import origin
from tests.oauth_flow import install
from tests.workspace_support import command, open_home, settings_values, submit_settings


async def test_installed_workspaces_each_have_their_own_settings(start_oauth) -> None:
    async with start_oauth() as imagine:
        slack = imagine.slack
        await install(slack, origin(imagine), "T2")
        await install(slack, origin(imagine), "T3")
        [t2_token], [t3_token] = slack.tokens_of("T2"), slack.tokens_of("T3")
        slack.users.add("UADM2", team_id="T2", is_admin=True)

        values = settings_values(limit="1", channels=["C2GEN"])
        answer = await submit_settings(imagine, values, team="T2", user="UADM2")
        assert answer.body is None  # saved
        assert "users.info" in slack.calls_with_token(t2_token)  # asked with T2's own token
        assert "users.info" not in slack.calls_with_token(t3_token)

        ack = await command(imagine, "first", team="T2", channel="C2GEN")
        assert "Generating" in ack.body["text"]
        ack = await command(imagine, "second", team="T2", channel="C2GEN")
        assert "You've used 1 of your 1 image for today" in ack.body["text"]
        ack = await command(imagine, "elsewhere", team="T2", channel="C2PUB")
        assert "isn't enabled in this channel" in ack.body["text"]
        for prompt in ("one", "two"):  # T3 set nothing: no limit, every channel
            ack = await command(imagine, prompt, team="T3", channel="C3GEN")
            assert "Generating" in ack.body["text"]

        await open_home(imagine, team="T2", user="UADM2")
        await slack.wait_for(lambda: "UADM2" in slack.home_views, timeout=10)
        assert "views.publish" in slack.calls_with_token(t2_token)
        assert "<@UADM2>" in str(slack.home_views["UADM2"]["blocks"])
