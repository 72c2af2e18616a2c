"""Block action listeners."""

from slack_bolt.async_app import AsyncApp

from bot.cancel import CANCEL_ACTION_ID
from bot.delivery import REGENERATE_ACTION_ID
from bot.listeners.actions.cancel import cancel
from bot.listeners.actions.image_actions import edit_image, image_variations
from bot.listeners.actions.regenerate import regenerate
from bot.listeners.actions.settings import open_settings
from bot.listeners.answer_at_ack import answer_at_ack
from bot.result_actions import EDIT_ACTION_ID, VARIATIONS_ACTION_ID
from bot.workspace.home_section import OPEN_SETTINGS_ACTION_ID


def register(app: AsyncApp) -> None:
    """Register the Regenerate and Cancel buttons, the per-image Edit… and Variations actions,
    and the Home tab's Settings button."""
    app.action(REGENERATE_ACTION_ID)(answer_at_ack(regenerate))
    app.action(CANCEL_ACTION_ID)(answer_at_ack(cancel))
    app.action(EDIT_ACTION_ID)(answer_at_ack(edit_image))
    app.action(VARIATIONS_ACTION_ID)(answer_at_ack(image_variations))
    app.action(OPEN_SETTINGS_ACTION_ID)(answer_at_ack(open_settings))
