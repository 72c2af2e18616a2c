"""Block action listeners."""

from slack_bolt.async_app import AsyncApp

from bot.delivery import REGENERATE_ACTION_ID
from bot.listeners.actions.image_actions import edit_image, image_variations
from bot.listeners.actions.regenerate import regenerate
from bot.result_actions import EDIT_ACTION_ID, VARIATIONS_ACTION_ID


def register(app: AsyncApp) -> None:
    """Register the Regenerate button and the per-image Edit… and Variations actions."""
    app.action(REGENERATE_ACTION_ID)(regenerate)
    app.action(EDIT_ACTION_ID)(edit_image)
    app.action(VARIATIONS_ACTION_ID)(image_variations)
