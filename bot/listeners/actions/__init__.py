"""Block action listeners."""

from slack_bolt.async_app import AsyncApp

from bot.delivery import REGENERATE_ACTION_ID
from bot.listeners.actions.regenerate import regenerate


def register(app: AsyncApp) -> None:
    """Register the Regenerate button."""
    app.action(REGENERATE_ACTION_ID)(regenerate)
