"""Helpers for tests of the per-workspace settings (issue #11): the parts of
:class:`bot.services.Services` that listeners use for settings and admins, around a store."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bot.settings import Settings
from bot.store import Store, WorkspaceSettingsStore
from bot.workspace.admins import AdminCheck
from bot.workspace.resolver import SettingsResolver


def listener_services(store: Store, settings: Settings, **more: Any) -> SimpleNamespace:
    """``store``, ``settings``, ``workspaces`` (no cache), ``admins`` (no cache) and
    ``settings_for``, plus ``more``: what the Home tab and settings listeners read from
    ``context["imagine"]``."""
    workspaces = SettingsResolver(settings, WorkspaceSettingsStore(store.engine), ttl_s=0)
    return SimpleNamespace(
        store=store,
        settings=settings,
        workspaces=workspaces,
        admins=AdminCheck(ttl_s=0),
        settings_for=workspaces.settings_for,
        **more,
    )
