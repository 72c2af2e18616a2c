"""View submission listeners."""

from slack_bolt.async_app import AsyncApp

from bot.edit_modal import EDIT_CALLBACK_ID
from bot.listeners.views.edit_modal import submit_edit_modal
from bot.listeners.views.imagine_modal import submit_imagine_modal
from bot.modal import CALLBACK_ID


def register(app: AsyncApp) -> None:
    """Register the Imagine modal's and the Edit… modal's submissions."""
    app.view(CALLBACK_ID)(submit_imagine_modal)
    app.view(EDIT_CALLBACK_ID)(submit_edit_modal)
