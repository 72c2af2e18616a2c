"""Cancel from any instance, with two `python -m bot` processes sharing one database: the owner
presses Cancel and Slack delivers the click to the instance that is not running the request.
That instance answers at once; the one running it stops it within seconds; nothing is posted,
the history says ``cancelled``; a stranger's click changes nothing."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.cancel import CANCEL_ACTION_ID
from tests.conftest import BOT_TOKEN, OPENAI_KEY
from tests.fakes import FakeOpenAI, FakeSlack
from tests.harness import BotProcess, sign
from tests.test_process import bot_process
from tests.test_resume_process import command


def cancel_id(ack: dict[str, Any]) -> str:
    """The job id on an ack's Cancel button."""
    for block in ack.get("blocks") or []:
        for element in block.get("elements", []):
            if element.get("action_id") == CANCEL_ACTION_ID:
                return str(element["value"])
    raise AssertionError(f"no Cancel button in {ack}")


async def click_cancel(
    session: aiohttp.ClientSession, bot: BotProcess, job_id: str, user: str, response_url: str
) -> None:
    """Press Cancel on ``bot`` as ``user`` (a ``block_actions`` payload as Slack sends it)."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": user, "name": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "channel": {"id": "C1", "name": "general"},
        "container": {"type": "message", "message_ts": "1700000000.000200", "channel_id": "C1"},
        "response_url": response_url,
        "actions": [
            {"type": "button", "action_id": CANCEL_ACTION_ID, "block_id": "b", "value": job_id,
             "action_ts": "1700000200.1"}
        ],
    }  # fmt: skip
    body = urlencode({"payload": json.dumps(payload)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    async with session.post(f"{bot.url}/slack/events", data=body, headers=headers) as answer:
        assert answer.status == 200


def statuses(database: Path, *job_ids: str) -> list[str]:
    with sqlite3.connect(database) as db:
        found = dict(db.execute("SELECT id, status FROM generations").fetchall())
    return [found.get(job_id, "missing") for job_id in job_ids]


async def test_cancel_pressed_on_the_other_instance(tmp_path: Path) -> None:
    database = tmp_path / "imagine.db"
    async with (
        FakeSlack(bot_token=BOT_TOKEN) as slack,
        FakeOpenAI(api_key=OPENAI_KEY, latency_s=3) as openai,
        bot_process(slack, openai, database, MAX_CONCURRENT_JOBS="1") as runner,
        bot_process(slack, openai, database) as other,
        aiohttp.ClientSession() as session,
    ):
        running = cancel_id(await command(session, runner.url, "a running fox", "U1", slack))
        waiting = cancel_id(await command(session, runner.url, "a waiting fox", "U2", slack))
        await slack.wait_for(lambda: openai.requests_to("/responses"), timeout=10)

        stranger_url = slack.new_response_url()
        await click_cancel(session, other, running, "U9", stranger_url)
        owner_urls = [slack.new_response_url(), slack.new_response_url()]
        await click_cancel(session, other, running, "U1", owner_urls[0])
        await click_cancel(session, other, waiting, "U2", owner_urls[1])

        def answers() -> dict[str, str]:  # response_url -> what was said there
            return {
                f"{slack.origin}/response/{r['response_url_id']}": r.get("text", "")
                for r in slack.responses
            }

        await slack.wait_for(lambda: len(set(answers()) & {stranger_url, *owner_urls}) == 3)
        told = answers()
        assert "Only <@U1> can cancel" in told[stranger_url]
        assert "Cancelled “a running fox”" in told[owner_urls[0]]
        assert "Cancelled “a waiting fox”" in told[owner_urls[1]]

        await slack.wait_for(
            lambda: statuses(database, running, waiting) == ["cancelled", "cancelled"], timeout=10
        )
        await asyncio.sleep(4)  # past the fake OpenAI's answer: still nothing may be posted
        assert not [message for message in slack.messages if message.files]
        assert len(openai.requests_to("/responses")) == 1  # the waiting one never started
