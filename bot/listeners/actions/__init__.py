"""Block action listeners."""

from slack_bolt.async_app import AsyncApp

from bot.delivery import REGENERATE_ACTION_ID
from bot.listeners.actions.regenerate import regenerate
from bot.listeners.actions.settings import open_settings
from bot.workspace.home_section import OPEN_SETTINGS_ACTION_ID


def register(app: AsyncApp) -> None:
    """Register the Regenerate button and the Home tab's Settings button."""
    app.action(REGENERATE_ACTION_ID)(regenerate)
    app.action(OPEN_SETTINGS_ACTION_ID)(open_settings)
