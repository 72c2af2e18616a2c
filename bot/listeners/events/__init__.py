"""Event listeners. Every subscribed bot event (manifest.yml) has one, or Bolt would answer
404 and Slack retry (platform.md, "DMs and the Messages tab")."""

from slack_bolt.async_app import AsyncApp

from bot.listeners.answer_at_ack import answer_at_ack
from bot.listeners.events.app_home import app_home_opened
from bot.listeners.events.app_mention import app_mention
from bot.listeners.events.direct_messages import message
from bot.listeners.events.installation import app_uninstalled, tokens_revoked


def register(app: AsyncApp) -> None:
    """Register ``app_mention``, ``message`` (``message.im``), ``app_home_opened``,
    ``app_uninstalled`` and ``tokens_revoked``."""
    app.event("app_mention")(answer_at_ack(app_mention))
    app.event("message")(answer_at_ack(message))
    app.event("app_home_opened")(answer_at_ack(app_home_opened))
    app.event("app_uninstalled")(answer_at_ack(app_uninstalled))
    app.event("tokens_revoked")(answer_at_ack(tokens_revoked))
