"""OAuth mode (issue #11), serving: several workspaces each with its own token, Enterprise Grid
org-wide installs, uninstall and revocation, token rotation, no workspace seeing another's data,
and background work (interrupted-job notices, a job whose workspace left) with the job's token."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select, update

from bot.store.installations import BOTS, INSTALLATIONS
from tests.fakes.slack_oauth import FakeSlackWorkspaces
from tests.oauth.support import (
    CLIENT_ID,
    CLIENT_SECRET,
    T2_CHANNELS,
    T3_CHANNELS,
    button_in,
    delivered,
    eventually,
    origin,
    rows,
    uploads_by,
)
from tests.oauth_flow import authorize, install

# --- Serving several workspaces ----------------------------------------------------------------


async def test_two_workspaces_are_each_served_with_their_own_token(start_oauth) -> None:
    async with start_oauth() as imagine:
        slack = imagine.slack
        await install(slack, origin(imagine), "T2")
        await install(slack, origin(imagine), "T3")
        [t2_token], [t3_token] = slack.tokens_of("T2"), slack.tokens_of("T3")

        answer = await imagine.command("a red fox", team="T2", channel="C2GEN")
        assert answer.status == 200 and "Generating 1 image" in answer.body["text"]
        answer = await imagine.command("a blue whale", team="T3", channel="C3GEN")
        assert "Generating 1 image" in answer.body["text"]

        fox, whale = await delivered(imagine, "C2GEN"), await delivered(imagine, "C3GEN")
        assert "a red fox" in fox.text and "a blue whale" in whale.text
        assert uploads_by(slack, t2_token) == 1 and uploads_by(slack, t3_token) == 1
        # each request was authorized with its own workspace's token
        assert "auth.test" in slack.calls_with_token(t2_token)
        assert "auth.test" in slack.calls_with_token(t3_token)
        assert slack.calls_with_token("xoxb-never-given-to-the-app") == []


async def test_the_fake_refuses_a_token_on_another_workspaces_channel() -> None:
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    async with FakeSlackWorkspaces(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as slack:
        slack.add_workspace("T2", "Second Co", channels=T2_CHANNELS)
        slack.add_workspace("T3", "Third Co", channels=T3_CHANNELS)
        slack.approve_next("T2")
        slack.redirect_url = "https://imagine.example.com/slack/oauth_redirect"
        async with aiohttp.ClientSession() as session:
            location = await authorize(
                session, f"{slack.origin}/oauth/v2/authorize?client_id={CLIENT_ID}&scope=commands"
            )
        code = location.split("code=")[1].split("&")[0]
        bare = AsyncWebClient(base_url=slack.base_url)
        access = await bare.oauth_v2_access(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code
        )
        t2 = AsyncWebClient(base_url=slack.base_url, token=access["access_token"])
        assert (await t2.auth_test())["team_id"] == "T2"
        await t2.chat_postMessage(channel="C2GEN", text="hello")
        with pytest.raises(SlackApiError, match="channel_not_found"):
            await t2.chat_postMessage(channel="C3GEN", text="hello")
        with pytest.raises(SlackApiError, match="invalid_code"):  # a code is good once
            await bare.oauth_v2_access(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code)


async def test_an_org_wide_install_serves_every_workspace_of_the_org(start_oauth) -> None:
    async with start_oauth() as imagine:
        slack = imagine.slack
        slack.add_workspace(
            "T5", "Org HQ", channels={"C5GEN": "member"}, enterprise_id="E1", enterprise_name="Acme"
        )
        slack.add_workspace(
            "T6",
            "Org Labs",
            channels={"C6GEN": "member"},
            enterprise_id="E1",
            enterprise_name="Acme",
        )
        visit = await install(slack, origin(imagine), "T5", org_wide=True)
        assert visit.status == 200 and "Acme" in visit.page
        [row] = await rows(imagine, INSTALLATIONS)
        assert (row["enterprise_id"], row["team_id"], row["is_enterprise_install"]) == (
            "E1",
            None,
            True,
        )
        [org_token] = slack.tokens_of("T5")
        await imagine.command(
            "a lab robot", team="T6", channel="C6GEN", enterprise="E1", org_wide=True
        )
        message = await delivered(imagine, "C6GEN")
        await button_in(imagine, "C6GEN")
        assert "a lab robot" in message.text and uploads_by(slack, org_token) == 1

        # the org uninstalls: its installation goes, and the workspaces are refused
        answer = await imagine.post(json.dumps(slack.uninstall("T5")), "application/json")
        assert answer.status == 200

        async def gone() -> bool:
            return await rows(imagine, INSTALLATIONS) == [] and await rows(imagine, BOTS) == []

        await eventually(gone)
        answer = await imagine.command(
            "another robot", team="T6", channel="C6GEN", enterprise="E1", org_wide=True
        )
        assert answer.status == 200
        await slack.wait_for(lambda: slack.responses, timeout=10)
        assert "no longer installed" in slack.responses[-1]["text"]


# --- Uninstall and revocation -------------------------------------------------------------------


async def test_uninstall_deletes_the_installation_and_later_requests_are_refused(
    start_oauth, openai_mock: Any
) -> None:
    async with start_oauth() as imagine:
        slack = imagine.slack
        await install(slack, origin(imagine), "T2")
        await install(slack, origin(imagine), "T3")
        answer = await imagine.post(json.dumps(slack.uninstall("T2")), "application/json")
        assert answer.status == 200

        async def t2_gone() -> bool:
            return len(await rows(imagine, INSTALLATIONS)) == 1

        await eventually(t2_gone)
        teams = [r["team_id"] for r in await rows(imagine, INSTALLATIONS)]
        assert teams == ["T3"]  # only T2's rows went
        assert [r["team_id"] for r in await rows(imagine, BOTS)] == ["T3"]

        openai_calls = openai_mock["responses"].call_count
        answer = await imagine.command("a fox after goodbye", team="T2", channel="C2GEN")
        assert answer.status == 200
        await slack.wait_for(lambda: slack.responses, timeout=10)
        assert "no longer installed" in slack.responses[-1]["text"]
        assert openai_mock["responses"].call_count == openai_calls  # nothing generated
        await imagine.command("still here", team="T3", channel="C3GEN")
        await delivered(imagine, "C3GEN")


async def test_a_revoked_bot_token_deletes_the_installation(start_oauth) -> None:
    async with start_oauth() as imagine:
        await install(imagine.slack, origin(imagine), "T2", user="U2ADMIN")
        event = {
            "token": "x",
            "team_id": "T2",
            "api_app_id": "A1",
            "event": {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT2"]}},
            "type": "event_callback",
            "event_id": "EvRevoke1",
            "event_time": 1_700_000_000,
        }
        answer = await imagine.post(json.dumps(event), "application/json")
        assert answer.status == 200

        async def gone() -> bool:
            return await rows(imagine, INSTALLATIONS) == [] and await rows(imagine, BOTS) == []

        await eventually(gone)


async def test_a_revoked_user_token_keeps_the_bot_installation(start_oauth) -> None:
    async with start_oauth() as imagine:
        await install(imagine.slack, origin(imagine), "T2", user="U2ADMIN")
        event = {
            "token": "x",
            "team_id": "T2",
            "api_app_id": "A1",
            "event": {"type": "tokens_revoked", "tokens": {"oauth": ["U2ADMIN"], "bot": []}},
            "type": "event_callback",
            "event_id": "EvRevoke2",
            "event_time": 1_700_000_000,
        }
        async with imagine.services.store.engine.begin() as conn:
            await conn.execute(update(INSTALLATIONS).values(user_token="xoxp-user-U2ADMIN"))
        await imagine.post(json.dumps(event), "application/json")

        async def dropped() -> bool:
            [row] = await rows(imagine, INSTALLATIONS)
            return row["user_token"] is None

        await eventually(dropped)
        [row] = await rows(imagine, INSTALLATIONS)
        assert row["bot_token"] == imagine.slack.tokens_of("T2")[0]  # the bot stays installed


# --- Token rotation -----------------------------------------------------------------------------


async def test_an_expiring_token_is_refreshed_and_the_new_one_used(start_oauth) -> None:
    async with start_oauth(token_rotation=True) as imagine:
        slack = imagine.slack
        await install(slack, origin(imagine), "T2")
        [row] = await rows(imagine, INSTALLATIONS)
        assert row["bot_refresh_token"].startswith("xoxe-") and row["bot_token_expires_at"]
        first = row["bot_token"]
        # ten minutes left: inside Bolt's refresh window (120 minutes)
        soon = (datetime.now(UTC) + timedelta(minutes=10)).replace(tzinfo=None)
        async with imagine.services.store.engine.begin() as conn:
            await conn.execute(update(INSTALLATIONS).values(bot_token_expires_at=soon))
            await conn.execute(update(BOTS).values(bot_token_expires_at=soon))
        await imagine.command("a refreshed fox", team="T2", channel="C2GEN")
        await delivered(imagine, "C2GEN")
        refreshes = [
            c
            for c in slack.calls_to("oauth.v2.access")
            if c.params.get("grant_type") == "refresh_token"
        ]
        assert len(refreshes) == 1
        newest = [t for t in slack.tokens_of("T2") if t != first]
        assert len(newest) == 1 and uploads_by(slack, newest[0]) == 1
        async with imagine.services.store.engine.connect() as conn:
            latest = (
                await conn.execute(
                    select(INSTALLATIONS.c.bot_token)
                    .order_by(INSTALLATIONS.c.installed_at.desc(), INSTALLATIONS.c.id.desc())
                    .limit(1)
                )
            ).scalar()
            count = (await conn.execute(select(func.count()).select_from(INSTALLATIONS))).scalar()
        assert latest == newest[0] and count >= 1


# --- Data isolation -----------------------------------------------------------------------------


async def test_no_workspace_sees_another_workspaces_data(start_oauth) -> None:
    async with start_oauth() as imagine:
        slack = imagine.slack
        await install(slack, origin(imagine), "T2")
        await install(slack, origin(imagine), "T3")
        await imagine.command("a secret prototype", team="T2", channel="C2GEN", user="U1")
        await delivered(imagine, "C2GEN")
        button = await button_in(imagine, "C2GEN")

        # the same user id in another workspace: no history, no usage, no Regenerate
        answer = await imagine.command("usage", team="T3", channel="C3GEN", user="U1")
        assert "secret prototype" not in str(answer.body)
        assert "0 images" in str(answer.body) or "no images" in str(answer.body).lower()
        store = imagine.services.store
        assert await store.reports.recent("T3", "U1") == []
        assert [i.prompt for i in await store.reports.recent("T2", "U1")] == ["a secret prototype"]
        payload = {
            "type": "block_actions",
            "team": {"id": "T3", "domain": "third"},
            "user": {"id": "U1", "name": "eve", "team_id": "T3"},
            "api_app_id": "A1",
            "trigger_id": "1.2.3",
            "channel": {"id": "C3GEN", "name": "general"},
            "container": {
                "type": "message",
                "message_ts": "1700000000.000200",
                "channel_id": "C3GEN",
            },
            "response_url": slack.new_response_url(),
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": "b",
                    "value": button["value"],
                    "action_ts": "1700000200.1",
                }
            ],
        }
        await imagine.interactive(payload)
        await slack.wait_for(lambda: slack.responses, timeout=10)
        assert "expired" in slack.responses[-1]["text"].lower()
        assert len([m for m in slack.messages if m.files]) == 1  # nothing generated for T3


# --- Background work with the job's own workspace token ------------------------------------------


def _job(team_id: str, channel_id: str, enterprise_id: str | None = None) -> Any:
    from bot.command import RawOptions
    from bot.jobs import Destination, Job
    from bot.request import build_request

    return Job(
        request=build_request("a fox in the snow", RawOptions(), _settings_for_requests()),
        destination=Destination(
            team_id=team_id, channel_id=channel_id, user_id="U1", enterprise_id=enterprise_id
        ),
        source="command",
    )


def _settings_for_requests() -> Any:
    from bot.settings import Settings

    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-only-for-building-requests",
        slack_signing_secret="s",
        openai_api_key="sk-abcdefghijkl",
    )


async def test_interrupted_jobs_are_told_with_their_workspaces_token(start_oauth) -> None:
    from bot.recovery import tell_interrupted_at_start
    from bot.store.models import GenerationRow

    async with start_oauth() as imagine:
        slack, services = imagine.slack, imagine.services
        await install(slack, origin(imagine), "T2")
        await install(slack, origin(imagine), "T3")
        for team_id, channel in (("T5", "C5GEN"), ("T6", "C6GEN")):
            slack.add_workspace(team_id, team_id, channels={channel: "member"}, enterprise_id="E1")
        await install(slack, origin(imagine), "T5", org_wide=True)
        jobs = [_job("T2", "C2GEN"), _job("T3", "C3GEN"), _job("T6", "C6GEN", "E1")]
        for job in jobs:
            await services.store.history.started(job)
        async with services.store.engine.begin() as conn:  # as if a crashed process ran them
            await conn.execute(update(GenerationRow.__table__).values(instance_id="gone"))
        assert await tell_interrupted_at_start(services) == 3
        notices = {e["channel"]: e for e in slack.ephemerals}
        assert set(notices) == {"C2GEN", "C3GEN", "C6GEN"}  # C6GEN: the org-wide token
        assert "chat.postEphemeral" in slack.calls_with_token(slack.tokens_of("T2")[0])
        assert "chat.postEphemeral" in slack.calls_with_token(slack.tokens_of("T3")[0])
        assert "chat.postEphemeral" in slack.calls_with_token(slack.tokens_of("T5")[0])


async def test_a_job_whose_workspace_uninstalled_meanwhile_is_recorded_and_dropped(
    start_oauth, openai_mock: Any
) -> None:
    async with start_oauth() as imagine:
        slack, services = imagine.slack, imagine.services
        await install(slack, origin(imagine), "T2")
        assert services.installations is not None
        await services.installations.forget(
            enterprise_id=None, team_id="T2", is_enterprise_install=False
        )
        services.clients.forget("T2")
        calls = len(slack.calls)
        job = _job("T2", "C2GEN")
        await services.pipeline.run(job)
        record = await services.store.history.record(job.id)
        assert record is not None and record.status == "NotInstalledError"
        assert len(slack.calls) == calls and openai_mock["responses"].call_count == 0
