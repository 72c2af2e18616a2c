"""Slash command listeners."""

from slack_bolt.async_app import AsyncApp

from bot.listeners.commands.imagine import imagine_command

COMMAND = "/imagine"


def register(app: AsyncApp) -> None:
    """Register ``/imagine``."""
    app.command(COMMAND)(imagine_command)  # it returns at its ack: bot.listeners.answer_at_ack
