"""Two ``python -m bot`` processes on one database: settings saved through one apply to the
other's very next request, with no restart (issue #11)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.conftest import BOT_TOKEN, OPENAI_KEY
from tests.fakes import FakeOpenAI, FakeSlack
from tests.harness import BotProcess, bot_environment, free_port, sign
from tests.workspace_support import settings_values


async def submit(session: aiohttp.ClientSession, bot: BotProcess, values: dict[str, Any]) -> Any:
    payload = {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "t1"},
        "user": {"id": "UADMIN", "username": "admin", "name": "admin", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "x",
        "trigger_id": "1.2.3",
        "view": {
            "id": "VSETTINGS",
            "team_id": "T1",
            "type": "modal",
            "callback_id": "imagine_settings",
            "private_metadata": "",
            "blocks": [],
            "state": {"values": values},
            "hash": "1.abc",
        },
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    async with session.post(f"{bot.url}/slack/events", data=body, headers=headers) as answer:
        assert answer.status == 200
        return await answer.text()


async def test_settings_saved_on_one_instance_apply_on_the_other() -> None:
    database = Path(tempfile.mkdtemp()) / "imagine.db"
    url = f"sqlite+aiosqlite:///{database}"
    async with (
        FakeSlack(bot_token=BOT_TOKEN) as slack,
        FakeOpenAI(api_key=OPENAI_KEY) as openai,
        aiohttp.ClientSession() as session,
    ):

        def environment() -> dict[str, str]:
            return bot_environment(
                slack, openai.base_url, url, free_port(), ADMIN_USER_IDS="UADMIN"
            )

        first = await BotProcess.start(environment())
        second = await BotProcess.start(environment())
        try:
            # The second instance has served the workspace (every channel) before the change.
            status, ack = await second.command(session, "warm up", slack.new_response_url())
            assert status == 200 and "Generating" in ack["text"]

            values = settings_values(channels=["C7"], size="auto", custom_size="1536x864")
            assert await submit(session, first, values) == ""  # saved, modal closed

            status, ack = await second.command(session, "a fox", slack.new_response_url())
            assert status == 200
            assert "isn't enabled in this channel" in ack["text"] and "<#C7>" in ack["text"]

            # And back to every channel, with the custom size kept.
            values = settings_values(channels=[], size="1536x864")
            assert await submit(session, first, values) == ""
            status, ack = await second.command(session, "a heron", slack.new_response_url())
            assert "Generating" in ack["text"]
            await slack.wait_for(lambda: len(openai.requests_to("/responses")) == 2, timeout=20)
            sizes = {
                r.json["input"]: r.json["tools"][0]["size"]
                for r in openai.requests_to("/responses")
            }
            assert sizes == {"warm up": "auto", "a heron": "1536x864"}
        finally:
            await first.stop()
            await second.stop()
        assert (first.process.returncode, second.process.returncode) == (0, 0)
