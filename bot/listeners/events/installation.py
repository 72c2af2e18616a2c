"""``app_uninstalled`` and ``tokens_revoked``: forget what Slack took back (OAuth mode).

- ``app_uninstalled``: every installation and bot token of the workspace (or, for an
  Enterprise Grid org-wide installation, of the org) is deleted, and cached clients dropped;
  later events for it find no installation and are refused by Bolt's authorize.
- ``tokens_revoked``: a revoked bot token deletes the workspace's installation the same way
  (Imagine has nothing left to act with); revoked user tokens (``tokens.oauth``) are removed
  from the rows of those users, keeping the bot token.

Bolt skips ``auth.test`` for both events (the token is already gone). In single-workspace mode
there is nothing stored to delete; the event is logged. Slack: "app_uninstalled",
"tokens_revoked" event types (Events API).
"""

from __future__ import annotations

import logging

from slack_bolt.context.async_context import AsyncBoltContext

from bot.listeners.common import services_of

log = logging.getLogger(__name__)


async def app_uninstalled(context: AsyncBoltContext) -> None:
    """Delete the uninstalled workspace's (or org's) installations."""
    await _forget(context, "app_uninstalled")


async def tokens_revoked(event: dict, context: AsyncBoltContext) -> None:
    """Delete what the revoked tokens gave access to (see the module docstring)."""
    services = services_of(context)
    tokens = event.get("tokens") or {}
    users = [str(u) for u in tokens.get("oauth") or [] if u]
    if users and services.installations is not None:
        await services.installations.drop_user_tokens(
            enterprise_id=context.enterprise_id,
            team_id=None if context.is_enterprise_install else context.team_id,
            user_ids=users,
        )
    if tokens.get("bot"):
        await _forget(context, "tokens_revoked")


async def _forget(context: AsyncBoltContext, why: str) -> None:
    services = services_of(context)
    enterprise_id, team_id = context.enterprise_id, context.team_id
    # An org-wide uninstall may carry no team, or the org's id where the team's would be.
    is_org = bool(context.is_enterprise_install) or not team_id or team_id == enterprise_id
    if services.installations is None:
        log.warning("%s for team=%s (single-workspace mode: nothing stored)", why, team_id)
        return
    deleted = await services.installations.forget(
        enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_org
    )
    services.clients.forget(None if is_org else team_id, enterprise_id)
    log.info(
        "%s: forgot team=%s enterprise=%s org-wide=%s (%d installation rows)",
        why,
        team_id,
        enterprise_id,
        is_org,
        deleted,
    )
