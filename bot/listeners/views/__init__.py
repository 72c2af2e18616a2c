"""View submission listeners."""

from slack_bolt.async_app import AsyncApp

from bot.listeners.views.imagine_modal import submit_imagine_modal
from bot.modal import CALLBACK_ID


def register(app: AsyncApp) -> None:
    """Register the Imagine modal's submission."""
    app.view(CALLBACK_ID)(submit_imagine_modal)
