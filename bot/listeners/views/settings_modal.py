"""Submitting the Settings modal: only admins may (checked again here, not only by hiding the
button); each invalid field is refused under itself (``response_action: errors``); valid
values are saved for the workspace (or the Enterprise Grid organisation of an org-wide
install), the change is recorded, and the admin's Home tab is published again with it.
"""

from __future__ import annotations

import logging

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.listeners.common import services_of, settings_scope
from bot.listeners.events.app_home import publish_home
from bot.workspace import fields
from bot.workspace.fields import BRAND_GUIDE
from bot.workspace.modal import read_settings

log = logging.getLogger(__name__)


async def submit_settings(
    ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    """Check the submitter and the values, save the changes, ack (closing the modal) and
    refresh the submitter's Home tab."""
    services = services_of(context)
    user_id = str((body.get("user") or {}).get("id") or "")
    team_id = str(context.get("team_id") or "")
    settings = await services.workspaces.settings_for(
        team_id, context.get("enterprise_id"), fresh=True
    )
    allowed = await services.admins.is_admin(
        client,
        settings,
        team_id=team_id,
        user_id=user_id,
        organisation=bool(context.get("is_enterprise_install")),
    )
    if not allowed:
        log.warning("user %s of %s submitted Settings but is not an admin", user_id, team_id)
        await ack(response_action="errors", errors={BRAND_GUIDE: messages.SETTINGS_ADMINS_ONLY})
        return
    values, errors = read_settings((view.get("state") or {}).get("values") or {}, settings)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    changes = fields.changes(settings, values)
    await services.workspaces.store.save(settings_scope(context), user_id, changes)
    services.workspaces.forget()
    await ack()
    if changes:
        log.info("user %s changed %s of %s", user_id, ", ".join(changes), team_id)
    await publish_home(client, context, team_id=team_id, user_id=user_id)
