"""OAuth mode (issue #11): Add to Slack through the local fake Slack, state checking, several
workspaces each served with its own token, Enterprise Grid org-wide installs, uninstall and
revocation, token rotation, and no workspace seeing another's data."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select, update

from bot.app import create_app
from bot.server import create_web_app
from bot.services import open_services
from bot.store.installations import BOTS, INSTALLATIONS, STATES
from tests.conftest import OPENAI_BASE
from tests.fakes.slack_oauth import FakeSlackWorkspaces
from tests.harness import Imagine
from tests.oauth_flow import authorize, finish, install, start_install

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret-0123456789"
T2_CHANNELS = {"C2GEN": "member", "C2PUB": "public"}
T3_CHANNELS = {"C3GEN": "member"}


@pytest.fixture
def start_oauth(make_settings: Callable[..., Any], openai_mock: Any) -> Callable[..., Any]:
    """``async with start_oauth() as imagine:`` the real app in OAuth mode against a
    :class:`FakeSlackWorkspaces` with workspaces T2 and T3 (nothing installed yet)."""

    @contextlib.asynccontextmanager
    async def start(token_rotation: bool = False, **overrides: Any) -> AsyncIterator[Imagine]:
        async with FakeSlackWorkspaces(
            "xoxb-never-given-to-the-app",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            token_rotation=token_rotation,
        ) as slack:
            slack.add_workspace("T2", "Second Co", channels=T2_CHANNELS)
            slack.add_workspace("T3", "Third Co", channels=T3_CHANNELS)
            settings = make_settings(
                slack_bot_token=None,
                slack_client_id=CLIENT_ID,
                slack_client_secret=CLIENT_SECRET,
                slack_api_url=slack.base_url,
                openai_base_url=OPENAI_BASE,
                **overrides,
            )
            services = await open_services(settings)
            app = create_web_app(create_app(services), services)
            async with TestClient(TestServer(app)) as http:
                yield Imagine(http=http, slack=slack, services=services)
            await services.jobs.shutdown(grace_s=10)
            await services.aclose()

    return start


def origin(imagine: Imagine) -> str:
    return str(imagine.http.make_url("")).rstrip("/")


async def rows(imagine: Imagine, table: Any) -> list[Any]:
    async with imagine.services.store.engine.connect() as conn:
        return list((await conn.execute(select(table))).mappings())


async def delivered(imagine: Imagine, channel: str) -> Any:
    await imagine.slack.wait_for(
        lambda: any(m.files and m.channel == channel for m in imagine.slack.messages), timeout=10
    )
    return next(m for m in imagine.slack.messages if m.files and m.channel == channel)


async def eventually(check: Callable[[], Any], timeout: float = 10) -> None:
    """Wait until the async ``check()`` is true (listeners of events run after the ack)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def button_in(imagine: Imagine, channel: str) -> dict[str, Any]:
    """The Regenerate button posted in ``channel``, once it is there."""

    def buttons() -> list[dict[str, Any]]:
        return [
            e
            for m in imagine.slack.messages
            if m.channel == channel and m.blocks
            for b in m.blocks
            if b["type"] == "actions"
            for e in b["elements"]
        ]

    await imagine.slack.wait_for(buttons, timeout=10)
    return buttons()[0]


def uploads_by(slack: FakeSlackWorkspaces, token: str) -> int:
    return slack.calls_with_token(token).count("files.completeUploadExternal")


# --- The round trip and its failures --------------------------------------------------------


async def test_add_to_slack_round_trip_installs_the_workspace(start_oauth) -> None:
    async with start_oauth() as imagine:
        slack = imagine.slack
        visit = await install(slack, origin(imagine), "T2", user="U2ADMIN")
        assert visit.status == 200
        assert "Imagine is installed" in visit.page and "Second Co" in visit.page
        # Slack's authorization page got the app's client id, the manifest's scopes, a state
        [asked] = slack.authorize_requests
        assert asked["client_id"] == CLIENT_ID
        assert asked["scope"].split(",") == list(imagine.services.settings.slack_scopes)
        assert asked["state"] and asked["state"] in visit.cookie
        # oauth.v2.access went to SLACK_API_URL with the client credentials (HTTP Basic)
        [access] = slack.calls_to("oauth.v2.access")
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        assert access.headers["Authorization"] == f"Basic {basic}"
        [token] = slack.tokens_of("T2")
        [row] = await rows(imagine, INSTALLATIONS)
        assert (row["team_id"], row["team_name"], row["bot_token"]) == ("T2", "Second Co", token)
        assert (row["user_id"], row["bot_user_id"], row["client_id"]) == (
            "U2ADMIN",
            slack.workspaces["T2"].bot_user_id,
            CLIENT_ID,
        )
        assert not row["is_enterprise_install"]
        assert len(await rows(imagine, BOTS)) == 1
        assert await rows(imagine, STATES) == []  # the state was used up


async def test_a_replayed_redirect_is_refused(start_oauth) -> None:
    async with start_oauth() as imagine:
        visit = await install(imagine.slack, origin(imagine), "T2")
        assert visit.status == 200
        async with aiohttp.ClientSession() as session:
            status, page = await finish(session, visit.redirect, visit.cookie)
        assert status == 401
        assert "expired or has already been used" in page and "Traceback" not in page
        assert len(imagine.slack.calls_to("oauth.v2.access")) == 1  # the code was not tried again


async def test_a_state_from_another_browser_or_forged_is_refused(start_oauth) -> None:
    async with start_oauth() as imagine:
        slack, app_url = imagine.slack, origin(imagine)
        slack.redirect_url = f"{app_url}/slack/oauth_redirect"
        slack.approve_next("T2")
        slack.approve_next("T2")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
            authorize_url, cookie = await start_install(session, app_url)
            redirect = await authorize(session, authorize_url)
            # the state cookie of another visit: not the browser that started this one
            _, other_cookie = await start_install(session, app_url)
            status, page = await finish(session, redirect, other_cookie)
            assert status == 400 and "another browser" in page
            # a state never issued, with a matching cookie (an attacker's own link)
            forged = redirect.replace(cookie.split("=", 1)[1], "forged-state")
            status, page = await finish(session, forged, "slack-app-oauth-state=forged-state")
            assert status == 401 and "expired or has already been used" in page
        assert slack.calls_to("oauth.v2.access") == []
        assert await rows(imagine, INSTALLATIONS) == []


async def test_a_cancelled_install_shows_a_clear_page(start_oauth) -> None:
    async with start_oauth() as imagine:
        visit = await install(imagine.slack, origin(imagine), "T2", cancel=True)
        assert "error=access_denied" in visit.redirect
        assert visit.status == 200
        assert "cancelled" in visit.page and 'href="/slack/install"' in visit.page
        assert imagine.slack.calls_to("oauth.v2.access") == []
        assert await rows(imagine, INSTALLATIONS) == []


@pytest.mark.parametrize("fault", ["invalid_code", "bad_client_secret", "http_500"])
async def test_a_refused_code_shows_a_clear_page(start_oauth, fault: str) -> None:
    async with start_oauth() as imagine:
        if fault == "http_500":
            imagine.slack.fail_next("oauth.v2.access", status=500, times=5)
        else:
            imagine.slack.fail_next("oauth.v2.access", error=fault)
        visit = await install(imagine.slack, origin(imagine), "T2")
        assert visit.status == 401
        assert "Slack did not accept the installation" in visit.page
        assert "Traceback" not in visit.page and CLIENT_SECRET not in visit.page
        assert await rows(imagine, INSTALLATIONS) == []


async def test_an_error_parameter_is_escaped_on_the_page(start_oauth) -> None:
    async with start_oauth() as imagine, aiohttp.ClientSession() as session:
        status, page = await finish(
            session, f"{origin(imagine)}/slack/oauth_redirect?error=<script>x</script>", ""
        )
        assert status == 200 and "<script>" not in page and "&lt;script&gt;" in page


async def test_only_the_two_oauth_pages_are_new(start_oauth) -> None:
    async with start_oauth() as imagine:
        routes = {
            (r.method, r.resource.canonical)
            for r in imagine.http.app.router.routes()
            if r.method != "HEAD"
        }
        assert routes == {
            ("POST", "/slack/events"),
            ("GET", "/healthz"),
            ("GET", "/metrics"),  # issue #10
            ("GET", "/slack/install"),
            ("GET", "/slack/oauth_redirect"),
        }


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
