"""Workflow Builder custom step listeners (``function_executed`` events)."""

from slack_bolt.async_app import AsyncApp

from bot.listeners.answer_at_ack import answer_at_ack
from bot.listeners.functions.generate_images import generate_images_step
from bot.workflow import CALLBACK_ID


def register(app: AsyncApp) -> None:
    """Register the "Generate images" step (``functions.generate_images`` in the manifest)."""
    app.function(CALLBACK_ID)(answer_at_ack(generate_images_step))
