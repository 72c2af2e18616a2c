"""Nothing lost on restart, with `python -m bot` as a real process: requests running or waiting
when the process crashed (SIGKILL) or stopped (SIGTERM) resume at the next start, and their
owners are told so; none runs twice."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp

from tests.conftest import BOT_TOKEN, OPENAI_KEY
from tests.fakes import FakeOpenAI, FakeSlack
from tests.harness import sign, slash_command_body
from tests.test_process import bot_process

RESUMED = "resumed after a restart"


async def command(session: aiohttp.ClientSession, url: str, text: str, user: str, slack) -> dict:  # type: ignore[no-untyped-def]
    body = slash_command_body(text, slack.new_response_url(), user=user)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    async with session.post(f"{url}/slack/events", data=body, headers=headers) as answer:
        assert answer.status == 200
        return await answer.json(content_type=None)  # type: ignore[no-any-return]


def delivered(slack: FakeSlack) -> list[str]:
    return sorted(m.text.split(":", 1)[0] for m in slack.messages if m.files)


async def test_a_crash_loses_nothing(tmp_path: Path) -> None:
    database = tmp_path / "imagine.db"
    async with (
        FakeSlack(bot_token=BOT_TOKEN) as slack,
        FakeOpenAI(api_key=OPENAI_KEY, latency_s=30) as openai,
    ):
        async with (
            bot_process(slack, openai, database, MAX_CONCURRENT_JOBS="2") as bot,
            aiohttp.ClientSession() as session,
        ):
            acks = [
                await command(session, bot.url, f"a fox number {i}", f"U{i}", slack)
                for i in range(3)
            ]
            assert "in line" in acks[2]["text"]  # two running, one waiting
            await slack.wait_for(lambda: len(openai.requests_to("/responses")) == 2, timeout=10)
            bot.process.kill()  # a crash: nothing is written on the way down
            await bot.process.wait()
        openai.latency_s = 0
        async with bot_process(slack, openai, database):
            await slack.wait_for(lambda: len(delivered(slack)) == 3, timeout=30)
            await asyncio.sleep(0.5)
        assert delivered(slack) == ["<@U0> imagined", "<@U1> imagined", "<@U2> imagined"]
        told = [r for r in slack.responses if RESUMED in r.get("text", "")]
        assert len(told) == 3
        assert not [r for r in slack.responses if "Regenerate" in r.get("text", "")]
        assert not slack.ephemerals  # no "restarted before your images were ready" notice
        assert len(openai.requests_to("/responses")) == 2 + 3  # each ran once after the restart


async def test_sigterm_hands_unfinished_requests_to_the_next_start(tmp_path: Path) -> None:
    database = tmp_path / "imagine.db"
    async with (
        FakeSlack(bot_token=BOT_TOKEN) as slack,
        FakeOpenAI(api_key=OPENAI_KEY, latency_s=30) as openai,
    ):
        async with (
            bot_process(slack, openai, database, SHUTDOWN_GRACE_S="0.5") as bot,
            aiohttp.ClientSession() as session,
        ):
            await command(session, bot.url, "a fox at dusk", "U7", slack)
            await slack.wait_for(lambda: openai.requests_to("/responses"), timeout=10)
            bot.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot.process.wait(), 20)
        assert bot.process.returncode == 0
        assert not [r for r in slack.responses if "restarted before" in r.get("text", "")]
        openai.latency_s = 0
        async with bot_process(slack, openai, database):
            await slack.wait_for(lambda: delivered(slack), timeout=30)
        assert delivered(slack) == ["<@U7> imagined"]
        assert [r["text"] for r in slack.responses if RESUMED in r.get("text", "")]


async def test_no_call_is_sent_during_the_shutdown_grace(tmp_path: Path) -> None:
    """A request waiting for OpenAI capacity at SIGTERM is not sent when capacity comes back
    during the grace (a call cut off at its end would be billed, then run again): it resumes
    after the restart, and each request reaches OpenAI once."""
    database = tmp_path / "imagine.db"
    async with (
        FakeSlack(bot_token=BOT_TOKEN) as slack,
        FakeOpenAI(api_key=OPENAI_KEY, latency_s=2) as openai,
    ):
        async with (
            bot_process(slack, openai, database, SHUTDOWN_GRACE_S="6") as bot,
            aiohttp.ClientSession() as session,
        ):
            for i in range(6):  # 5 probes go before anything is known; the 6th waits
                await command(session, bot.url, f"a fox number {i}", f"U{i}", slack)
            await slack.wait_for(lambda: len(openai.requests_to("/responses")) == 5, timeout=10)
            openai.latency_s = 30  # a call sent from now on would still run at the grace's end
            bot.process.send_signal(signal.SIGTERM)  # the probes' answers come during the grace
            await asyncio.wait_for(bot.process.wait(), 30)
        assert bot.process.returncode == 0
        assert len(openai.requests_to("/responses")) == 5  # the waiting one was not sent
        assert len(delivered(slack)) == 5
        openai.latency_s = 0
        async with bot_process(slack, openai, database):
            await slack.wait_for(lambda: len(delivered(slack)) == 6, timeout=30)
        assert len(openai.requests_to("/responses")) == 6
