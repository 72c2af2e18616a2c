"""Block action listeners."""

from slack_bolt.async_app import AsyncApp

from bot.cancel import CANCEL_ACTION_ID
from bot.delivery import REGENERATE_ACTION_ID
from bot.listeners.actions.cancel import cancel
from bot.listeners.actions.regenerate import regenerate


def register(app: AsyncApp) -> None:
    """Register the Regenerate and Cancel buttons."""
    app.action(REGENERATE_ACTION_ID)(regenerate)
    app.action(CANCEL_ACTION_ID)(cancel)
