"""Helpers for tests of the per-workspace settings (issue #11): the parts of
:class:`bot.services.Services` that listeners use for settings and admins, around a store."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bot.settings import Settings
from bot.store import Store
from bot.workspace.admins import AdminCheck
from bot.workspace.resolver import SettingsResolver


def listener_services(store: Store, settings: Settings, **more: Any) -> SimpleNamespace:
    """``store``, ``settings``, ``workspaces`` (no cache), ``admins`` (no cache) and
    ``settings_for``, plus ``more``: what the Home tab and settings listeners read from
    ``context["imagine"]``."""
    workspaces = SettingsResolver(settings, store.workspace_settings, ttl_s=0)
    return SimpleNamespace(
        store=store,
        settings=settings,
        workspaces=workspaces,
        admins=AdminCheck(ttl_s=0),
        settings_for=workspaces.settings_for,
        **more,
    )


# --- Real-shaped payloads for any workspace (tests.harness sends them for T1) -------------------

import json  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from tests.harness import Answer, Imagine  # noqa: E402

FORM = "application/x-www-form-urlencoded"


async def command(
    imagine: Imagine,
    text: str,
    *,
    team: str = "T1",
    user: str = "U1",
    channel: str = "C1",
    enterprise: str | None = None,
) -> Answer:
    """``/imagine text`` from ``user`` in ``team``'s ``channel`` (platform.md, "Slash command
    payload"); with ``enterprise``, from an Enterprise Grid org-wide install."""
    body = {
        "token": "deprecated-verification-token",
        "team_id": team,
        "team_domain": team.lower(),
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else "general",
        "user_id": user,
        "user_name": f"user-{user}",
        "command": "/imagine",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "true" if enterprise else "false",
        "response_url": imagine.slack.new_response_url(),
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
    }
    if enterprise:
        body["enterprise_id"] = enterprise
        body["enterprise_name"] = "Acme Org"
    return await imagine.post(urlencode(body), FORM)


async def open_home(imagine: Imagine, *, team: str = "T1", user: str = "U1") -> Answer:
    """``app_home_opened`` (Home tab) for ``user`` in ``team``."""
    body = {
        "token": "x",
        "team_id": team,
        "api_app_id": "A1",
        "event": {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0HOME",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        },
        "type": "event_callback",
        "event_id": f"EvHome{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
    }
    return await imagine.post(json.dumps(body), "application/json")


async def press_settings(imagine: Imagine, *, team: str = "T1", user: str = "U1") -> Answer:
    """Press the Home tab's Settings button (``block_actions`` from a ``home`` view)."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": f"user-{user}", "name": f"user-{user}", "team_id": team},
        "api_app_id": "A1",
        "token": "x",
        "container": {"type": "view", "view_id": "VHOME"},
        "trigger_id": "1.2.3",
        "team": {"id": team, "domain": team.lower()},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": {"id": "VHOME", "team_id": team, "type": "home", "blocks": [], "hash": "1.a"},
        "actions": [
            {
                "action_id": "imagine_open_settings",
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "Settings"},
                "value": "open",
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return await imagine.interactive(payload)


def settings_values(
    *,
    brand_guide: str | None = None,
    size: str | None = "auto",
    custom_size: str | None = None,
    quality: str | None = "auto",
    limit: str | None = None,
    budget: str | None = None,
    channels: list[str] | None = None,
) -> dict[str, Any]:
    """``view.state.values`` of the Settings modal as Slack sends them."""

    def select(value: str | None) -> dict[str, Any]:
        option = (
            None
            if value is None
            else {"text": {"type": "plain_text", "text": value}, "value": value}
        )
        return {"value": {"type": "static_select", "selected_option": option}}

    return {
        "brand_guide": {"value": {"type": "plain_text_input", "value": brand_guide}},
        "default_size": select(size),
        "custom_size": {"value": {"type": "plain_text_input", "value": custom_size}},
        "default_quality": select(quality),
        "user_daily_image_limit": {"value": {"type": "number_input", "value": limit}},
        "monthly_budget_usd": {"value": {"type": "number_input", "value": budget}},
        "allowed_channel_ids": {
            "value": {
                "type": "multi_conversations_select",
                "selected_conversations": channels or [],
            }
        },
    }


async def submit_settings(
    imagine: Imagine,
    values: dict[str, Any],
    *,
    team: str = "T1",
    user: str = "U1",
    enterprise: str | None = None,
) -> Answer:
    """Submit the Settings modal with ``values`` (see :func:`settings_values`); with
    ``enterprise``, from an Enterprise Grid org-wide install."""
    payload = {
        "type": "view_submission",
        "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "username": f"user-{user}", "name": f"user-{user}", "team_id": team},
        "api_app_id": "A1",
        "token": "x",
        "trigger_id": "1.2.3",
        "enterprise": {"id": enterprise, "name": "Acme Org"} if enterprise else None,
        "is_enterprise_install": bool(enterprise),
        "view": {
            "id": "VSETTINGS",
            "team_id": team,
            "type": "modal",
            "callback_id": "imagine_settings",
            "private_metadata": "",
            "blocks": [],
            "state": {"values": values},
            "hash": "1.abc",
            "app_installed_team_id": team,
        },
        "response_urls": [],
    }
    return await imagine.interactive(payload)
