"""``app_home_opened``: publish the user's Home tab (recent generations, usage, and the
workspace summary for admins) with ``views.publish``.

Slack sends the event each time a user opens the app's Home or Messages tab (``event.tab``);
only the Home tab is published. Needs the ``app_home_opened`` bot event; ``views.publish`` needs
no extra scope (Slack "Building an App Home").
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.home import home_view
from bot.listeners.common import services_of

log = logging.getLogger(__name__)


async def app_home_opened(event: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
    """Build the Home tab for ``event["user"]`` from ``context["imagine"].store`` and publish
    it. A refusal from Slack is logged, not raised (the user simply sees the previous view)."""
    if event.get("tab", "home") != "home":
        return
    user_id = str(event.get("user") or "")
    team_id = str(context.get("team_id") or (event.get("view") or {}).get("team_id") or "")
    if not user_id:
        log.warning("app_home_opened without a user")
        return
    services = services_of(context)
    view = await home_view(
        services.store,
        services.settings,
        team_id=team_id,
        user_id=user_id,
        notices=[notice.text_on(datetime.now(UTC).date()) for notice in services.model_notices],
    )
    try:
        await client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("views.publish failed for the Home tab: %s", exc.response.get("error"))
