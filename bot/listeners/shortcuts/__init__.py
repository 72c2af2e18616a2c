"""Message shortcut listeners: "Imagine a slide" and "Imagine a brand asset"."""

from slack_bolt.async_app import AsyncApp

from bot.listeners.answer_at_ack import answer_at_ack
from bot.listeners.shortcuts.message_shortcuts import (
    BRAND_CALLBACK_ID,
    SLIDE_CALLBACK_ID,
    open_brand_modal,
    open_slide_modal,
)


def register(app: AsyncApp) -> None:
    """Register both message shortcuts (callback ids as in manifest.yml)."""
    app.shortcut(SLIDE_CALLBACK_ID)(answer_at_ack(open_slide_modal))
    app.shortcut(BRAND_CALLBACK_ID)(answer_at_ack(open_brand_modal))
