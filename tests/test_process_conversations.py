"""Issue #8 end to end: ``python -m bot`` against the fake Slack and the fake OpenAI. A result
in a channel, a mention in its thread, an edit there that continues the first response, also
after a restart; a mention with a PNG; a DM refined in its thread; a shortcut on a message with
an image."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.conftest import BOT_TOKEN, OPENAI_KEY
from tests.fakes import FakeOpenAI, FakeSlack, make_png
from tests.fakes.slack_events import app_mention_event, event_callback, message_event
from tests.harness import BotProcess, bot_environment, free_port, modal_defaults, sign
from tests.test_input_images import data_url, input_images


async def start(slack: FakeSlack, openai: FakeOpenAI, database: Path) -> BotProcess:
    environment = bot_environment(
        slack, openai.base_url, f"sqlite+aiosqlite:///{database}", free_port()
    )
    return await BotProcess.start(environment)


async def send(bot: BotProcess, body: str, content_type: str) -> int:
    headers = {"Content-Type": content_type, **sign(body)}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{bot.url}/slack/events", data=body, headers=headers) as answer,
    ):
        return answer.status


async def event(bot: BotProcess, payload: dict[str, Any]) -> None:
    assert await send(bot, json.dumps(event_callback(payload)), "application/json") == 200


async def interactive(bot: BotProcess, payload: dict[str, Any]) -> None:
    body = urlencode({"payload": json.dumps(payload)})
    assert await send(bot, body, "application/x-www-form-urlencoded") == 200


def results(slack: FakeSlack) -> list[Any]:
    return [m for m in slack.messages if m.files]


def responses(openai: FakeOpenAI) -> list[dict[str, Any]]:
    return [r.json for r in openai.requests_to("/responses")]


async def test_edit_in_the_thread_continues_the_first_response_also_after_a_restart() -> None:
    database = Path(tempfile.mkdtemp()) / "imagine.db"
    async with FakeSlack(bot_token=BOT_TOKEN) as slack, FakeOpenAI(api_key=OPENAI_KEY) as openai:
        bot = await start(slack, openai, database)
        try:
            async with aiohttp.ClientSession() as session:
                await bot.command(session, "a red kite over the sea", slack.new_response_url())
            await slack.wait_for(lambda: results(slack), timeout=30)
            [result] = results(slack)
            await event(
                bot,
                app_mention_event(
                    "<@UBOT> make the kite green", ts="1700002000.000100", thread_ts=result.ts
                ),
            )
            await slack.wait_for(lambda: len(results(slack)) == 2, timeout=30)
        finally:
            await bot.stop()
        first, edit = responses(openai)
        assert edit["previous_response_id"] in openai.stored
        assert first.get("previous_response_id") is None and edit["input"] == "make the kite green"
        assert results(slack)[1].thread_ts == result.ts

        bot = await start(slack, openai, database)  # the conversation survives a restart
        try:
            await event(
                bot,
                app_mention_event(
                    "<@UBOT> add a second kite", ts="1700002100.000100", thread_ts=result.ts
                ),
            )
            await slack.wait_for(lambda: len(results(slack)) == 3, timeout=30)
        finally:
            await bot.stop()
        again = responses(openai)[2]
        assert again["previous_response_id"] in openai.stored
        assert again["previous_response_id"] != edit["previous_response_id"]  # the latest version
        assert results(slack)[2].thread_ts == result.ts


async def test_a_png_mention_a_dm_refined_in_its_thread_and_a_shortcut_with_an_image() -> None:
    database = Path(tempfile.mkdtemp()) / "imagine.db"
    png = make_png(24, 24)
    async with FakeSlack(bot_token=BOT_TOKEN) as slack, FakeOpenAI(api_key=OPENAI_KEY) as openai:
        bot = await start(slack, openai, database)
        try:
            logo = slack.add_user_file("logo.png", png, channel="C1", ts="1700003000.000100")
            await event(
                bot,
                app_mention_event(
                    "<@UBOT> put this logo on a mug", ts="1700003000.000100", files=[logo]
                ),
            )
            await slack.wait_for(lambda: len(results(slack)) == 1, timeout=30)
            assert input_images(responses(openai)[0]) == [data_url(png)]

            await event(bot, message_event("a lighthouse", ts="1700003100.000100"))
            await slack.wait_for(lambda: len(results(slack)) == 2, timeout=30)
            dm_result = results(slack)[1]
            assert dm_result.channel == "D1"
            await event(
                bot,
                message_event("make it night", ts="1700003200.000100", thread_ts=dm_result.ts),
            )
            await slack.wait_for(lambda: len(results(slack)) == 3, timeout=30)
            assert results(slack)[2].thread_ts == dm_result.ts
            assert responses(openai)[2]["previous_response_id"] in openai.stored

            badge = slack.add_user_file("badge.png", png, channel="C1", ts="1700003300.000100")
            await interactive(bot, shortcut(slack, badge))
            await slack.wait_for(lambda: slack.views, timeout=30)
            view = slack.views[-1]
            assert "Using 1 image from the message" in json.dumps(view["blocks"])
            await interactive(bot, submission(view))
            await slack.wait_for(lambda: len(results(slack)) == 4, timeout=30)
            brand = responses(openai)[3]
            assert input_images(brand) == [data_url(png)]
            assert results(slack)[3].thread_ts == "1700003300.000100"
        finally:
            await bot.stop()


def shortcut(slack: FakeSlack, file: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message_action",
        "callback_id": "imagine_brand",
        "trigger_id": "1.2.3",
        "response_url": slack.new_response_url(),
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": "U1", "name": "alice", "team_id": "T1"},
        "channel": {"id": "C1", "name": "general"},
        "message_ts": "1700003300.000100",
        "message": {
            "type": "message",
            "user": "U2",
            "ts": "1700003300.000100",
            "text": "our spring badge",
            "files": [file],
        },
    }


def submission(view: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": "U1", "name": "alice", "team_id": "T1"},
        "api_app_id": "A1",
        "view": {
            "id": view["id"],
            "team_id": "T1",
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view.get("private_metadata", ""),
            "state": {"values": modal_defaults(view)},
        },
    }
