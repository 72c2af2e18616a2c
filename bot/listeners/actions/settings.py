"""The **Settings** button on the Home tab: open the Settings modal for an admin.

``views.open`` needs a ``trigger_id`` less than 3 seconds old (platform.md, "Modals"): the
handler acks, checks the user (ADMIN_USER_IDS or a workspace admin/owner from ``users.info``)
and opens the modal at once. Anyone else gets a modal saying only admins can change settings.
"""

from __future__ import annotations

import logging

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners.common import services_of
from bot.workspace.modal import admins_only_modal, build_settings_modal

log = logging.getLogger(__name__)


async def open_settings(
    ack: AsyncAck, body: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Open the Settings modal, at the workspace's current (fresh) settings, for an admin."""
    await ack()
    services = services_of(context)
    user_id = str((body.get("user") or {}).get("id") or "")
    trigger_id = str(body.get("trigger_id") or "")
    team_id = str(context.get("team_id") or "")
    organisation = bool(context.get("is_enterprise_install"))
    settings = await services.workspaces.settings_for(
        team_id, context.get("enterprise_id"), fresh=True
    )
    allowed = await services.admins.is_admin(
        client, settings, team_id=team_id, user_id=user_id, organisation=organisation
    )
    if not allowed:
        log.warning("user %s of %s pressed Settings but is not an admin", user_id, team_id)
    view = (
        build_settings_modal(settings, organisation=organisation)
        if allowed
        else admins_only_modal()
    )
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("views.open failed for the Settings modal: %s", exc.response.get("error"))
