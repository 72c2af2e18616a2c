"""Every sentence a Slack user or admin reads from Imagine, in one package, one module per
concern; import it as ``from bot import messages`` and use ``messages.NAME``.

Texts are Slack mrkdwn. Functions take the data they show; none of them ever receives a secret.
"""

# ruff: noqa: F403
from bot.messages.capacity import *
from bot.messages.conversations import *
from bot.messages.format import *
from bot.messages.models import *
from bot.messages.progress import *
from bot.messages.quotas import *
from bot.messages.requests import *
from bot.messages.workflow import *
from bot.messages.workspace import *
