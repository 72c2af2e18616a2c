"""Slack listeners, grouped by kind as in slack-samples' Bolt templates. Each group has a
``register(app)``; the handlers are plain async functions that read the shared
:class:`bot.services.Services` from ``context["imagine"]``."""

from slack_bolt.async_app import AsyncApp

from bot.listeners import actions, commands, events, functions, shortcuts, views


def register(app: AsyncApp) -> None:
    """Register every listener on ``app``."""
    commands.register(app)
    shortcuts.register(app)
    views.register(app)
    events.register(app)
    actions.register(app)
    functions.register(app)
