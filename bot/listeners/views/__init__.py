"""View submission listeners."""

from slack_bolt.async_app import AsyncApp

from bot.edit_modal import EDIT_CALLBACK_ID
from bot.listeners.answer_at_ack import answer_at_ack
from bot.listeners.views.edit_modal import submit_edit_modal
from bot.listeners.views.imagine_modal import submit_imagine_modal
from bot.listeners.views.settings_modal import submit_settings
from bot.modal import CALLBACK_ID
from bot.workspace.modal import CALLBACK_ID as SETTINGS_CALLBACK_ID


def register(app: AsyncApp) -> None:
    """Register the Imagine modal's, the Edit… modal's and the Settings modal's submissions."""
    app.view(CALLBACK_ID)(answer_at_ack(submit_imagine_modal))
    app.view(EDIT_CALLBACK_ID)(answer_at_ack(submit_edit_modal))
    app.view(SETTINGS_CALLBACK_ID)(answer_at_ack(submit_settings))
