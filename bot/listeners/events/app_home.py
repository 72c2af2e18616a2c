"""``app_home_opened``: publish the user's Home tab (recent generations, usage and, for admins,
the workspace summary, its settings with the **Settings** button and the last changes) with
``views.publish``.

Slack sends the event each time a user opens the app's Home or Messages tab (``event.tab``);
only the Home tab is published. Needs the ``app_home_opened`` bot event; ``views.publish`` needs
no extra scope (Slack "Building an App Home"); the admin check needs ``users:read``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.home import home_view
from bot.listeners.common import services_of, settings_of
from bot.store.workspace_settings import scopes_of
from bot.workspace.home_section import CHANGES_SHOWN, settings_blocks

log = logging.getLogger(__name__)


async def app_home_opened(event: dict, client: AsyncWebClient, context: AsyncBoltContext) -> None:
    """Publish the Home tab for ``event["user"]``. A refusal from Slack is logged, not raised
    (the user simply sees the previous view)."""
    if event.get("tab", "home") != "home":
        return
    user_id = str(event.get("user") or "")
    team_id = str(context.get("team_id") or (event.get("view") or {}).get("team_id") or "")
    if not user_id:
        log.warning("app_home_opened without a user")
        return
    await publish_home(client, context, team_id=team_id, user_id=user_id)


async def publish_home(
    client: AsyncWebClient, context: AsyncBoltContext, *, team_id: str, user_id: str
) -> None:
    """Build ``user_id``'s Home tab in ``team_id`` from the store and the workspace's effective
    settings, and publish it (also after an admin saved the settings)."""
    services = services_of(context)
    settings = await settings_of(services, context)
    enterprise_id = context.get("enterprise_id")
    is_admin = await services.admins.is_admin(
        client,
        settings,
        team_id=team_id,
        user_id=user_id,
        organisation=bool(context.get("is_enterprise_install")),
    )
    admin_blocks = []
    if is_admin:
        changes = await services.workspaces.store.history(
            scopes_of(team_id, enterprise_id), limit=CHANGES_SHOWN
        )
        admin_blocks = settings_blocks(settings, changes)
    view = await home_view(
        services.store,
        settings,
        team_id=team_id,
        user_id=user_id,
        is_admin=is_admin,
        admin_blocks=admin_blocks,
        notices=[notice.text_on(datetime.now(UTC).date()) for notice in services.model_notices],
    )
    try:
        await client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("views.publish failed for the Home tab: %s", exc.response.get("error"))
