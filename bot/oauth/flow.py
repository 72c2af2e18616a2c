"""Bolt's OAuth flow, configured for Imagine: ``GET /slack/install`` and
``GET /slack/oauth_redirect`` (platform.md, "Distribution (OAuth)").

- ``oauth.v2.access``, the ``auth.test`` after it and token refreshes go to ``SLACK_API_URL``,
  like every other Slack call; the authorization page is derived from it
  (``https://slack.com/api/`` -> ``https://slack.com/oauth/v2/authorize``).
- Installations and OAuth states are kept in the app's database
  (:mod:`bot.store.installations`); a state is accepted once, from the browser it was issued to
  (Bolt's state cookie), within ``SLACK_STATE_EXPIRATION_S``.
- Requests are authorized with their own workspace's bot token by Bolt's
  ``AsyncInstallationStoreAuthorize`` (``auth.test`` answers cached per token), which refreshes
  rotating tokens (``token_rotation_enabled``) through ``SLACK_API_URL`` too.
- Every failure, including Slack or the database being unreachable, ends on a page that says
  what happened (:mod:`bot.oauth.pages`), never a traceback.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.error import BoltError
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.web.async_client import AsyncWebClient

from bot.oauth import pages
from bot.settings import Settings
from bot.store.installations import InstallationStore, OAuthStateStore

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
TOKEN_ROTATION_MINUTES = 120
HTML = "text/html; charset=utf-8"


def authorize_url_for(api_url: str) -> str:
    """Slack's authorization page beside the Web API at ``api_url``."""
    root = api_url.rstrip("/").removesuffix("/api")
    return f"{root}/oauth/v2/authorize"


class ImagineOAuthFlow(AsyncOAuthFlow):
    """Bolt's :class:`AsyncOAuthFlow` with Imagine's pages, and failures that Bolt would let
    escape (Slack unreachable, database errors) turned into failure pages."""

    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        """The "Add to Slack" page."""
        return pages.install_page(url, self.install_path)

    async def handle_installation(self, request: AsyncBoltRequest) -> BoltResponse:
        """``GET /slack/install``: issue a state, set its cookie, show the page."""
        try:
            return await super().handle_installation(request)
        except Exception as exc:  # noqa: BLE001 - the visitor gets a page, the log the kind
            log.error("could not start an installation: %s", type(exc).__name__)
            return _failure_response(self, "server_error", 500)

    async def handle_callback(self, request: AsyncBoltRequest) -> BoltResponse:
        """``GET /slack/oauth_redirect``: check the state, exchange the code, save."""
        try:
            return await super().handle_callback(request)
        except Exception as exc:  # noqa: BLE001
            log.error("installation failed: %s", type(exc).__name__)
            return _failure_response(self, "server_error", 500)

    async def run_installation(self, code: str) -> Installation | None:
        """``oauth.v2.access`` then ``auth.test``; ``None`` (an "invalid_code" page) when Slack
        refuses or cannot be reached."""
        try:
            return await super().run_installation(code)
        except Exception as exc:  # noqa: BLE001 - aiohttp, timeouts, a malformed answer
            log.warning("oauth.v2.access failed: %s", type(exc).__name__)
            return None

    async def store_installation(
        self, request: AsyncBoltRequest, installation: Installation
    ) -> None:
        """Save the installation; a database error becomes Bolt's "storage_error" page."""
        try:
            await super().store_installation(request, installation)
        except Exception as exc:  # noqa: BLE001
            log.error("could not save the installation: %s", type(exc).__name__)
            raise BoltError("the installation could not be saved") from None
        log.info(
            "installed in team=%s enterprise=%s (org-wide=%s) by user=%s",
            installation.team_id,
            installation.enterprise_id,
            installation.is_enterprise_install,
            installation.user_id,
        )


def _failure_response(flow: AsyncOAuthFlow, reason: str, status: int) -> BoltResponse:
    return BoltResponse(
        status=status,
        body=pages.failed_page(reason, flow.settings.install_path),
        headers={
            "Content-Type": HTML,
            "Set-Cookie": flow.settings.state_utils.build_set_cookie_for_deletion(),
        },
    )


async def _success(args: AsyncSuccessArgs) -> BoltResponse:
    installation = args.installation
    open_url = None
    if installation.app_id and (installation.team_id or installation.enterprise_id):
        team = installation.team_id or installation.enterprise_id
        query = {"app": installation.app_id, "team": team}
        open_url = f"https://slack.com/app_redirect?{urlencode(query)}"
    name = installation.team_name or installation.enterprise_name
    return BoltResponse(
        status=200,
        body=pages.installed_page(name, open_url),
        headers={
            "Content-Type": HTML,
            "Set-Cookie": args.settings.state_utils.build_set_cookie_for_deletion(),
        },
    )


async def _failure(args: AsyncFailureArgs) -> BoltResponse:
    log.info("installation not completed: %s", args.reason[:100])
    return BoltResponse(
        status=args.suggested_status_code,
        body=pages.failed_page(args.reason, args.settings.install_path),
        headers={
            "Content-Type": HTML,
            "Set-Cookie": args.settings.state_utils.build_set_cookie_for_deletion(),
        },
    )


def build_oauth_flow(
    settings: Settings,
    *,
    installations: InstallationStore,
    states: OAuthStateStore,
    client: AsyncWebClient,
) -> ImagineOAuthFlow:
    """The OAuth flow for ``settings`` (OAuth mode). ``client`` is a token-less client on
    ``SLACK_API_URL`` (it makes ``oauth.v2.access``, ``auth.test`` and token refreshes).

    Raises ``slack_bolt.error.BoltError`` when the client id or secret is missing.
    """
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    client_secret = settings.slack_client_secret.get_secret_value()
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=client_secret,
        scopes=settings.slack_scopes,
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=AsyncCallbackOptions(success=_success, failure=_failure),
        authorization_url=authorize_url_for(settings.slack_api_url),
        installation_store=installations,
        token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
        state_store=states,
        state_expiration_seconds=settings.slack_state_expiration_s,
        logger=logging.getLogger("bot.bolt.oauth"),
    )
    # Bolt's default authorize would refresh tokens through slack.com and call auth.test on
    # every request; this one uses SLACK_API_URL and caches auth.test answers per token.
    oauth_settings.authorize = AsyncInstallationStoreAuthorize(
        logger=logging.getLogger("bot.bolt.authorize"),
        installation_store=installations,
        client_id=settings.slack_client_id,
        client_secret=client_secret,
        token_rotation_expiration_minutes=TOKEN_ROTATION_MINUTES,
        cache_enabled=True,
        client=client,
    )
    return ImagineOAuthFlow(client=client, settings=oauth_settings, logger=log)
