"""Installing the app the way a browser does: ``/slack/install`` -> Slack's authorization page
(the fake's) -> ``/slack/oauth_redirect``, for the in-process and the process tests."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import aiohttp

from tests.fakes.slack_oauth import FakeSlackWorkspaces

STATE_COOKIE = "slack-app-oauth-state"


@dataclass
class Visit:
    """What the browser saw: the install page's authorization URL and state cookie, the
    redirect Slack sent it to, and the app's final page."""

    authorize_url: str
    cookie: str  # "slack-app-oauth-state=<state>"
    redirect: str
    status: int
    page: str


async def start_install(session: aiohttp.ClientSession, app_url: str) -> tuple[str, str]:
    """Open ``/slack/install``: the "Add to Slack" link and the state cookie it set."""
    async with session.get(f"{app_url}/slack/install") as response:
        assert response.status == 200, await response.text()
        assert response.content_type == "text/html"
        page = await response.text()
        set_cookie = response.headers["Set-Cookie"]
    match = re.search(r'<a href="([^"]+)"><img alt="Add to Slack"', page)
    assert match, page
    cookie = set_cookie.split(";")[0]
    assert cookie.startswith(f"{STATE_COOKIE}=")
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie
    return html.unescape(match.group(1)), cookie


async def authorize(session: aiohttp.ClientSession, authorize_url: str) -> str:
    """Visit Slack's authorization page (the person approves or cancels there); returns where
    Slack redirects the browser."""
    async with session.get(authorize_url, allow_redirects=False) as response:
        assert response.status == 302, await response.text()
        return response.headers["Location"]


async def finish(session: aiohttp.ClientSession, redirect: str, cookie: str) -> tuple[int, str]:
    """Follow Slack's redirect back to the app with the browser's state cookie."""
    async with session.get(redirect, headers={"Cookie": cookie}, allow_redirects=False) as answer:
        return answer.status, await answer.text()


async def install(
    slack: FakeSlackWorkspaces,
    app_url: str,
    team_id: str,
    *,
    user: str = "U1",
    org_wide: bool = False,
    cancel: bool = False,
) -> Visit:
    """The whole round trip for workspace ``team_id``; ``app_url`` is the app's origin."""
    slack.redirect_url = f"{app_url}/slack/oauth_redirect"
    slack.approve_next(team_id, user=user, org_wide=org_wide, cancel=cancel)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        authorize_url, cookie = await start_install(session, app_url)
        redirect = await authorize(session, authorize_url)
        status, page = await finish(session, redirect, cookie)
    return Visit(authorize_url, cookie, redirect, status, page)
