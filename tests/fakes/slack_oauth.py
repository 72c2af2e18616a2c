"""Several Slack workspaces and the OAuth installation flow, on top of :class:`FakeSlack`.

:class:`FakeSlackWorkspaces` is a :class:`tests.fakes.slack_api.FakeSlack` where each workspace
(team) has its own bot token and its own channels, and apps are installed the way Slack does it
(platform.md, "Distribution (OAuth)"; Slack's "Installing with OAuth" and ``oauth.v2.access``):

1. The browser opens ``GET /oauth/v2/authorize?client_id=&scope=&state=[&redirect_uri=]``. The
   fake stands for the person in front of it: :meth:`FakeSlackWorkspaces.approve_next` says
   which workspace they install into (and whether they cancel). It answers ``302`` to the
   redirect URL with ``code`` and ``state`` (or ``error=access_denied``).
2. The app calls ``oauth.v2.access`` with the code and its client id and secret (HTTP Basic or
   form fields): a code is good once, for ten minutes, for the client it was issued to and with
   the same ``redirect_uri``. The answer has the workspace's new ``xoxb-`` token, its bot user,
   ``team``, ``enterprise``, ``authed_user``, ``is_enterprise_install``, and with token rotation
   on, ``refresh_token`` and ``expires_in`` (``grant_type=refresh_token`` refreshes).

Strictness: a token works only for its own workspace's channels (an org-wide token: every
workspace of its org); a call with workspace A's token on B's channel gets
``channel_not_found``, like Slack. ``auth.test`` answers for the token's workspace. A revoked
token (:meth:`FakeSlackWorkspaces.uninstall`) gets ``token_revoked``.
"""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.fakes.slack_api import FakeSlack, SlackError

CODE_TTL_S = 600
ACCESS_TOKEN_TTL_S = 43_200  # rotating tokens live 12 hours


@dataclass
class Workspace:
    """A Slack workspace (``team_id`` ``T…``), or an Enterprise Grid org (``enterprise_id``);
    ``channels`` maps its channel ids to their kind (as :class:`FakeSlack` ``channels``)."""

    team_id: str
    name: str
    enterprise_id: str | None = None
    enterprise_name: str | None = None
    channels: dict[str, str] = field(default_factory=dict)
    bot_user_id: str = "UBOT"
    bot_id: str = "BBOT"


@dataclass
class Grant:
    """A token Slack issued: the workspace (or org, when ``org_wide``) it serves."""

    workspace: Workspace
    org_wide: bool = False
    revoked: bool = False
    refresh_token: str | None = None
    expires_at: float | None = None
    scopes: str = ""


@dataclass
class _Approval:
    team_id: str
    user_id: str
    org_wide: bool
    cancel: bool


@dataclass
class _Code:
    grant_to: _Approval
    client_id: str
    redirect_uri: str | None
    scopes: str
    issued: float
    used: bool = False


class FakeSlackWorkspaces(FakeSlack):
    """A fake Slack with several workspaces (see the module docstring).

    ``bot_token`` belongs to the first workspace, ``T1`` ("Imagine Test"), whose channels are
    :class:`FakeSlack`'s ``channels`` (and every ``C…``/``D…`` id no other workspace owns).
    ``client_id``/``client_secret`` are the app's credentials; ``token_rotation`` makes
    installations return refresh tokens and 12-hour access tokens.
    """

    def __init__(
        self,
        bot_token: str = "xoxb-test",
        *,
        client_id: str = "1111.2222",
        client_secret: str = "fake-client-secret-0123456789",
        app_id: str = "A1",
        token_rotation: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(bot_token, **kwargs)
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_id = app_id
        self.token_rotation = token_rotation
        self.redirect_url: str | None = None  # the app's configured redirect URL
        self.workspaces: dict[str, Workspace] = {"T1": Workspace("T1", "Imagine Test")}
        self.grants: dict[str, Grant] = {bot_token: Grant(self.workspaces["T1"])}
        self.codes: dict[str, _Code] = {}
        self.authorize_requests: list[dict[str, str]] = []
        self._approvals: list[_Approval] = []
        self._serial = itertools.count(2)
        self._tokenless["oauth.v2.access"] = self._oauth_v2_access
        self.app.router.add_get("/oauth/v2/authorize", self._authorize_page)

    # --- setting the scene --------------------------------------------------------------------

    def add_workspace(
        self,
        team_id: str,
        name: str,
        *,
        channels: dict[str, str] | None = None,
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
    ) -> Workspace:
        """A new workspace with its own channels (ids must not be used by another one)."""
        n = next(self._serial)
        workspace = Workspace(
            team_id,
            name,
            enterprise_id=enterprise_id,
            enterprise_name=enterprise_name,
            channels=dict(channels or {}),
            bot_user_id=f"UBOT{n}",
            bot_id=f"BBOT{n}",
        )
        self.workspaces[team_id] = workspace
        return workspace

    def approve_next(
        self, team_id: str, *, user: str = "U1", org_wide: bool = False, cancel: bool = False
    ) -> None:
        """The next visit to the authorization page installs into ``team_id`` (with
        ``org_wide``: into its whole Enterprise Grid org) as ``user``, or is cancelled."""
        self._approvals.append(_Approval(team_id, user, org_wide, cancel))

    def tokens_of(self, team_id: str) -> list[str]:
        """The live bot tokens issued for ``team_id`` (or, org-wide, its org)."""
        return [
            token
            for token, grant in self.grants.items()
            if grant.workspace.team_id == team_id and not grant.revoked
        ]

    def uninstall(self, team_id: str) -> dict[str, Any]:
        """Revoke every token of ``team_id`` (the workspace removed the app) and return the
        ``app_uninstalled`` event callback Slack then sends."""
        workspace = self.workspaces[team_id]
        org_wide = False
        for grant in self.grants.values():
            if grant.workspace is workspace:
                grant.revoked = True
                org_wide = org_wide or grant.org_wide
        body: dict[str, Any] = {
            "token": "verification-token",
            "team_id": workspace.enterprise_id if org_wide else team_id,
            "api_app_id": self.app_id,
            "event": {"type": "app_uninstalled"},
            "type": "event_callback",
            "event_id": f"EvUninstall{team_id}",
            "event_time": int(time.time()),
        }
        if workspace.enterprise_id:
            body["enterprise_id"] = workspace.enterprise_id
        if org_wide:
            body["is_enterprise_install"] = True
            body["authorizations"] = [
                {
                    "enterprise_id": workspace.enterprise_id,
                    "team_id": None,
                    "user_id": workspace.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": True,
                }
            ]
        return body

    def calls_with_token(self, token: str) -> list[str]:
        """The methods called with ``token`` (``Authorization: Bearer``), in order."""
        return [
            call.method
            for call in self.calls
            if call.headers.get("Authorization") == f"Bearer {token}"
        ]

    # --- tokens and channels ------------------------------------------------------------------

    def _grant(self, token: str | None) -> Grant:
        grant = self.grants.get(token or "")
        if grant is None:
            raise SlackError("invalid_auth")
        if grant.revoked:
            raise SlackError("token_revoked")
        if grant.expires_at is not None and grant.expires_at < time.time():
            raise SlackError("token_expired")
        return grant

    def _check_token(self, token: str, method: str, params: dict[str, Any]) -> None:
        if method.startswith("functions."):
            super()._check_token(token, method, params)
        else:
            self._grant(token)

    def _owner(self, channel: str) -> Workspace:
        for workspace in self.workspaces.values():
            if channel in workspace.channels:
                return workspace
        return self.workspaces["T1"]

    def _kind(self, channel: str) -> str | None:
        owner = self._owner(channel)
        grant = self.grants.get(self.current_token or "")
        if grant is None:
            return None
        mine = grant.workspace
        same_org = grant.org_wide and owner.enterprise_id == mine.enterprise_id
        if owner is not mine and not same_org:
            return None  # another workspace's channel: channel_not_found
        if owner.team_id != "T1":
            return owner.channels.get(channel)
        return super()._kind(channel)

    def _conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params["channel"])
        answer = super()._conversations_join(params)  # checks the channel as the caller sees it
        owner = self._owner(channel)
        if owner.team_id != "T1":
            owner.channels[channel] = self.channels.pop(channel)
        return answer

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        grant = self._grant(self.current_token)
        workspace = grant.workspace
        answer: dict[str, Any] = {
            "url": f"https://{workspace.team_id.lower()}.slack.com/",
            "team": workspace.name,
            "user": "imagine",
            "team_id": workspace.team_id,
            "user_id": workspace.bot_user_id,
            "bot_id": workspace.bot_id,
            "is_enterprise_install": grant.org_wide,
        }
        if workspace.enterprise_id:
            answer["enterprise_id"] = workspace.enterprise_id
        if grant.org_wide:
            answer["team"] = workspace.enterprise_name
            answer["team_id"] = workspace.enterprise_id
        return answer

    # --- OAuth --------------------------------------------------------------------------------

    async def _authorize_page(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.authorize_requests.append(query)
        if query.get("client_id") != self.client_id:
            return web.Response(status=400, text="invalid_client_id")
        if not query.get("scope") and not query.get("user_scope"):
            return web.Response(status=400, text="invalid_scope")
        redirect = query.get("redirect_uri") or self.redirect_url
        if not redirect or (self.redirect_url and redirect != self.redirect_url):
            return web.Response(status=400, text="bad_redirect_uri")
        if not self._approvals:
            return web.Response(status=400, text="nobody_approves: call approve_next() first")
        approval = self._approvals.pop(0)
        answer = {"state": query.get("state", "")}
        if approval.cancel:
            answer = {"error": "access_denied", **answer}
        else:
            code = f"{int(time.time())}.{secrets.token_hex(8)}"
            self.codes[code] = _Code(
                approval, self.client_id, query.get("redirect_uri"), query["scope"], time.time()
            )
            answer = {"code": code, **answer}
        raise web.HTTPFound(f"{redirect}?{urlencode(answer)}")

    def _client_credentials(self, params: dict[str, Any], request: web.Request) -> None:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "basic":
            client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
        if not client_id:
            raise SlackError("invalid_client_id")
        if client_id != self.client_id:
            raise SlackError("invalid_client_id")
        if client_secret != self.client_secret:
            raise SlackError("bad_client_secret")

    def _oauth_v2_access(self, params: dict[str, Any], request: web.Request) -> dict[str, Any]:
        self._client_credentials(params, request)
        if params.get("grant_type") == "refresh_token":
            return self._refresh(str(params.get("refresh_token") or ""))
        code = self.codes.get(str(params.get("code") or ""))
        if code is None or code.used or time.time() - code.issued > CODE_TTL_S:
            raise SlackError("invalid_code")
        if code.redirect_uri is not None and params.get("redirect_uri") != code.redirect_uri:
            raise SlackError("bad_redirect_uri")
        code.used = True
        approval = code.grant_to
        workspace = self.workspaces[approval.team_id]
        token = f"xoxb-{workspace.team_id}-{secrets.token_hex(6)}"
        grant = Grant(workspace, org_wide=approval.org_wide, scopes=code.scopes)
        answer: dict[str, Any] = {
            "access_token": token,
            "token_type": "bot",
            "scope": code.scopes,
            "bot_user_id": workspace.bot_user_id,
            "app_id": self.app_id,
            "team": None
            if approval.org_wide
            else {"id": workspace.team_id, "name": workspace.name},
            "enterprise": (
                {"id": workspace.enterprise_id, "name": workspace.enterprise_name}
                if workspace.enterprise_id
                else None
            ),
            "authed_user": {"id": approval.user_id},
            "is_enterprise_install": approval.org_wide,
        }
        if self.token_rotation:
            grant.refresh_token = f"xoxe-1-{secrets.token_hex(8)}"
            grant.expires_at = time.time() + ACCESS_TOKEN_TTL_S
            answer |= {"refresh_token": grant.refresh_token, "expires_in": ACCESS_TOKEN_TTL_S}
        self.grants[token] = grant
        return answer

    def _refresh(self, refresh_token: str) -> dict[str, Any]:
        old = next((g for g in self.grants.values() if g.refresh_token == refresh_token), None)
        if old is None or old.revoked:
            raise SlackError("invalid_refresh_token")
        workspace = old.workspace
        token = f"xoxb-{workspace.team_id}-{secrets.token_hex(6)}"
        new = Grant(
            workspace,
            org_wide=old.org_wide,
            refresh_token=f"xoxe-1-{secrets.token_hex(8)}",
            expires_at=time.time() + ACCESS_TOKEN_TTL_S,
            scopes=old.scopes,
        )
        old.refresh_token = None  # a refresh token is good once
        self.grants[token] = new
        return {
            "access_token": token,
            "token_type": "bot",
            "scope": new.scopes,
            "bot_user_id": workspace.bot_user_id,
            "app_id": self.app_id,
            "team": None if new.org_wide else {"id": workspace.team_id, "name": workspace.name},
            "enterprise": (
                {"id": workspace.enterprise_id, "name": workspace.enterprise_name}
                if workspace.enterprise_id
                else None
            ),
            "is_enterprise_install": new.org_wide,
            "refresh_token": new.refresh_token,
            "expires_in": ACCESS_TOKEN_TTL_S,
        }
