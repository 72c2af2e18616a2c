"""OAuth mode (issue #11), installing: Add to Slack through the local fake Slack, the state
checked (another browser, forged, replayed), cancelled and refused installations, and the only
new public pages."""

from __future__ import annotations

import base64

import aiohttp
import pytest

from bot.store.installations import BOTS, INSTALLATIONS, STATES
from tests.oauth.support import (
    CLIENT_ID,
    CLIENT_SECRET,
    origin,
    rows,
)
from tests.oauth_flow import authorize, finish, install, start_install

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
