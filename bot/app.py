"""Building the Bolt ``AsyncApp``: the services middleware and every listener.

``AsyncApp`` runs listeners as asyncio tasks; the sync ``App`` would run acks on a 5-worker
thread pool that starves under load (platform.md, "Acknowledge within 3 seconds").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot import listeners
from bot.listeners.common import SERVICES_KEY
from bot.services import Services

log = logging.getLogger(__name__)


def create_app(services: Services) -> AsyncApp:
    """An ``AsyncApp`` on ``services.slack`` with every listener registered.

    In HTTP mode Bolt verifies each request's signature with ``SLACK_SIGNING_SECRET`` and answers
    401 when it does not match; Socket Mode connections need no signature.
    """
    settings = services.settings
    signing_secret = settings.slack_signing_secret
    app = AsyncApp(
        client=services.slack,
        signing_secret=signing_secret.get_secret_value() if signing_secret else "",
        request_verification_enabled=not settings.socket_mode,
        logger=logging.getLogger("bot.bolt"),
    )

    async def inject_services(
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[BoltResponse]],  # noqa: A002
    ) -> BoltResponse:
        context[SERVICES_KEY] = services
        return await next()

    app.use(inject_services)
    listeners.register(app)
    return app
