"""`python -m bot` in OAuth mode as a real process: a second workspace installs through
/slack/install -> Slack's authorization page -> /slack/oauth_redirect, then its /imagine is
served with that workspace's own token."""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

import aiohttp

from tests.conftest import OPENAI_KEY, SIGNING_SECRET
from tests.fakes import FakeOpenAI
from tests.fakes.slack_oauth import FakeSlackWorkspaces
from tests.harness import BotProcess, bot_environment, free_port
from tests.oauth_flow import install

CLIENT_ID = "4444.5555"
CLIENT_SECRET = "process-client-secret-abcdef012345"


async def test_a_workspace_installed_through_add_to_slack_is_served_with_its_token() -> None:
    database = Path(tempfile.mkdtemp()) / "imagine.db"
    async with (
        FakeSlackWorkspaces(
            "xoxb-not-the-apps", client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        ) as slack,
        FakeOpenAI(api_key=OPENAI_KEY) as openai,
    ):
        slack.add_workspace("T2", "Second Co", channels={"C2GEN": "member"})
        environment = bot_environment(
            slack,
            openai.base_url,
            f"sqlite+aiosqlite:///{database}",
            free_port(),
            LOG_LEVEL="DEBUG",
            SLACK_BOT_TOKEN="",  # OAuth mode
            SLACK_CLIENT_ID=CLIENT_ID,
            SLACK_CLIENT_SECRET=CLIENT_SECRET,
        )
        bot = await BotProcess.start(environment)
        try:
            visit = await install(slack, bot.url, "T2", user="U2ADMIN")
            assert visit.status == 200 and "Imagine is installed" in visit.page
            [token] = slack.tokens_of("T2")
            async with aiohttp.ClientSession() as session:
                status, body = await bot.command(
                    session,
                    "a harbour at dawn",
                    slack.new_response_url(),
                    team="T2",
                    channel="C2GEN",
                )
            assert status == 200 and "Generating 1 image" in body["text"]
            await slack.wait_for(lambda: any(m.files for m in slack.messages), timeout=30)
        finally:
            code = await bot.stop()
        [message] = [m for m in slack.messages if m.files]
        assert message.channel == "C2GEN" and "a harbour at dawn" in message.text
        assert slack.calls_with_token(token).count("files.completeUploadExternal") == 1
        assert slack.calls_with_token("xoxb-not-the-apps") == []
        assert code == 0
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        for secret in (CLIENT_SECRET, basic, token, SIGNING_SECRET, OPENAI_KEY):
            assert secret not in bot.output
