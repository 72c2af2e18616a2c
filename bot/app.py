"""Building the Bolt ``AsyncApp``: the services middleware and every listener.

``AsyncApp`` runs listeners as asyncio tasks; the sync ``App`` would run acks on a 5-worker
thread pool that starves under load (platform.md, "Acknowledge within 3 seconds").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot import listeners, messages
from bot.listeners.common import SERVICES_KEY
from bot.oauth.flow import build_oauth_flow
from bot.services import Services
from bot.store import OAuthStateStore

log = logging.getLogger(__name__)


def create_app(services: Services) -> AsyncApp:
    """An ``AsyncApp`` on ``services.slack`` with every listener registered.

    In HTTP mode Bolt verifies each request's signature with ``SLACK_SIGNING_SECRET`` and answers
    401 when it does not match; Socket Mode connections need no signature. Single-workspace mode
    authorizes every request with ``SLACK_BOT_TOKEN``; OAuth mode with the bot token of the
    request's own workspace (or Enterprise Grid org), found in the installation store, and the
    app gets Bolt's OAuth flow (``app.oauth_flow``) for ``/slack/install`` and the redirect.
    """
    settings = services.settings
    signing_secret = settings.slack_signing_secret
    # Bolt's own client carries no token: each request's client gets it from ``authorize``.
    bolt_client = AsyncWebClient(
        base_url=services.slack.base_url,
        timeout=services.slack.timeout,
        session=services.slack.session,
        retry_handlers=services.slack.retry_handlers,
    )
    common = {
        "client": bolt_client,
        "signing_secret": signing_secret.get_secret_value() if signing_secret else "",
        "request_verification_enabled": not settings.socket_mode,
        "logger": logging.getLogger("bot.bolt"),
        # Bolt awaits each listener; bot.listeners.answer_at_ack answers at the ack.
        "process_before_response": True,
    }
    if services.installations is not None:
        states = OAuthStateStore(settings.slack_state_expiration_s, services.store.engine)
        flow = build_oauth_flow(
            settings, installations=services.installations, states=states, client=bolt_client
        )
        app = AsyncApp(
            oauth_flow=flow,
            user_facing_authorize_error_message=messages.NOT_INSTALLED,
            **common,  # type: ignore[arg-type]
        )
    else:
        app = AsyncApp(authorize=single_workspace_authorize(services.slack), **common)  # type: ignore[arg-type]

    async def inject_services(
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[BoltResponse]],  # noqa: A002
    ) -> BoltResponse:
        context[SERVICES_KEY] = services
        return await next()

    app.use(inject_services)
    listeners.register(app)
    return app


def single_workspace_authorize(
    client: AsyncWebClient,
) -> Callable[..., Awaitable[AuthorizeResult]]:
    """A Bolt ``authorize`` function for the one workspace ``client``'s bot token belongs to.

    It calls ``auth.test`` once and shares the answer. Bolt's built-in single-team authorization
    calls ``auth.test`` for every request until the first answer arrives, so a burst of commands
    right after start would make hundreds of calls and delay every ack. Raises
    ``slack_sdk.errors.SlackApiError`` when Slack rejects the token (Bolt answers 500 then;
    ``python -m bot`` checks the token at start and refuses to run with a bad one).
    """
    lock = asyncio.Lock()
    cached: list[AuthorizeResult] = []

    async def authorize(
        enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        async with lock:
            if not cached:
                response = await client.auth_test()
                cached.append(
                    AuthorizeResult.from_auth_test_response(
                        auth_test_response=response, bot_token=client.token
                    )
                )
        return cached[0]

    return authorize
