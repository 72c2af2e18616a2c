"""`python -m bot` as a real process against local fake Slack and OpenAI servers."""

from __future__ import annotations

import asyncio
import json
import signal
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from tests.conftest import BOT_TOKEN, OPENAI_KEY, SIGNING_SECRET
from tests.fakes import FakeOpenAI, FakeSlack
from tests.harness import BotProcess, bot_environment, free_port


@asynccontextmanager
async def bot_process(
    slack: FakeSlack, openai: FakeOpenAI, database: Path | None = None, **settings: str
) -> AsyncIterator[BotProcess]:
    """``python -m bot`` against the fakes (a fresh SQLite file unless ``database``), DEBUG logs,
    stopped with SIGTERM at the end."""
    database = database or Path(tempfile.mkdtemp()) / "imagine.db"
    environment = bot_environment(
        slack,
        openai.base_url,
        f"sqlite+aiosqlite:///{database}",
        free_port(),
        LOG_LEVEL="DEBUG",
        **settings,
    )
    bot = await BotProcess.start(environment)
    try:
        yield bot
    finally:
        await bot.stop()


async def test_python_m_bot_delivers_an_image_with_the_revised_prompt() -> None:
    async with FakeSlack(bot_token=BOT_TOKEN) as slack, FakeOpenAI(api_key=OPENAI_KEY) as openai:
        async with bot_process(slack, openai) as bot, aiohttp.ClientSession() as session:
            status, body = await bot.command(
                session, "a flying car over the sea", slack.new_response_url()
            )
            assert status == 200 and "Generating 1 image" in body["text"]
            await slack.wait_for(lambda: any(m.files for m in slack.messages), timeout=30)
        [message] = [m for m in slack.messages if m.files]
        assert message.channel == "C1"
        assert message.text.startswith("<@U1> imagined: ")
        assert "a flying car over the sea" in message.text  # the fake's revised prompt contains it
        assert message.files[0]["filename"].endswith(".png")
        assert slack.calls_to("auth.test")  # the token was checked at start
        assert bot.process.returncode == 0  # SIGTERM → clean exit
        logs = bot.output
        for secret in (BOT_TOKEN, SIGNING_SECRET, OPENAI_KEY):
            assert secret not in logs


async def test_sigterm_finishes_the_running_job_and_refuses_new_work() -> None:
    async with (
        FakeSlack(bot_token=BOT_TOKEN) as slack,
        FakeOpenAI(api_key=OPENAI_KEY, latency_s=1.5) as openai,
    ):
        async with (
            bot_process(slack, openai, SHUTDOWN_GRACE_S="10") as bot,
            aiohttp.ClientSession() as session,
        ):
            status, _ = await bot.command(session, "a slow fox", slack.new_response_url())
            assert status == 200
            await slack.wait_for(lambda: openai.requests_to("/responses"), timeout=10)
            bot.process.send_signal(signal.SIGTERM)
            for _ in range(100):
                async with session.get(f"{bot.url}/healthz") as response:
                    if response.status == 503:
                        break
                await asyncio.sleep(0.02)
            assert response.status == 503
            status, body = await bot.command(session, "a new fox", slack.new_response_url())
            assert status == 200 and "restarting" in body["text"]
            await asyncio.wait_for(bot.process.wait(), 20)
        assert bot.process.returncode == 0
        assert [m for m in slack.messages if m.files]  # the job in flight finished
        assert len(openai.requests_to("/responses")) == 1  # the refused one never reached OpenAI


async def test_sigterm_tells_owners_of_jobs_that_could_not_finish() -> None:
    async with (
        FakeSlack(bot_token=BOT_TOKEN) as slack,
        FakeOpenAI(api_key=OPENAI_KEY, latency_s=30) as openai,
    ):
        async with (
            # RESUME_MAX_AGE_S=0: nothing resumes, so the owner is told now
            bot_process(slack, openai, SHUTDOWN_GRACE_S="0.5", RESUME_MAX_AGE_S="0") as bot,
            aiohttp.ClientSession() as session,
        ):
            await bot.command(session, "a very slow fox", slack.new_response_url())
            await slack.wait_for(lambda: openai.requests_to("/responses"), timeout=10)
            bot.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot.process.wait(), 20)
        assert bot.process.returncode == 0
        notices = [
            r
            for r in slack.responses
            if "restarted before your images were ready" in r.get("text", "")
        ]
        assert len(notices) == 1 and "Regenerate" in json.dumps(notices[0]["blocks"])


async def test_socket_mode_receives_a_command_and_delivers() -> None:
    app_token = "xapp-1-A1-123-testapptoken"
    async with (
        FakeSlack(bot_token=BOT_TOKEN, app_token=app_token) as slack,
        FakeOpenAI(api_key=OPENAI_KEY) as openai,
    ):
        async with bot_process(
            slack, openai, SLACK_APP_TOKEN=app_token, SLACK_SIGNING_SECRET=""
        ) as bot:
            await slack.wait_for(lambda: slack.socket is not None, timeout=20)
            ack = await slack.send_over_socket(
                "slash_commands",
                {
                    "team_id": "T1",
                    "channel_id": "C1",
                    "user_id": "U1",
                    "command": "/imagine",
                    "text": "--n 2 a lighthouse",
                    "response_url": slack.new_response_url(),
                    "trigger_id": "1.2.3",
                },
            )
            assert "Generating 2 images" in ack["payload"]["text"]
            await slack.wait_for(lambda: any(m.files for m in slack.messages), timeout=30)
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{bot.url}/healthz") as health,
            ):
                assert health.status == 200  # /healthz is served in Socket Mode too
                done = 'imagine_requests_total{outcome="ok",source="command"} 1.0'
                for _ in range(250):  # and /metrics, which counts the job once it has ended
                    async with session.get(f"{bot.url}/metrics") as scraped:
                        assert scraped.status == 200
                        if done in await scraped.text():
                            break
                    await asyncio.sleep(0.02)
                else:
                    raise AssertionError("the job was not counted in /metrics")
        [message] = [m for m in slack.messages if m.files]
        assert len(message.files) == 2 and "a lighthouse" in message.text
        assert bot.process.returncode == 0
        assert app_token not in bot.output


async def test_a_crashed_job_is_reported_at_the_next_start(tmp_path: Path) -> None:
    database = tmp_path / "imagine.db"
    async with (
        FakeSlack(bot_token=BOT_TOKEN) as slack,
        FakeOpenAI(api_key=OPENAI_KEY, latency_s=30) as openai,
    ):
        async with bot_process(slack, openai, database) as bot, aiohttp.ClientSession() as session:
            await bot.command(session, "a fox lost in a crash", slack.new_response_url())
            await slack.wait_for(lambda: openai.requests_to("/responses"), timeout=10)
            bot.process.kill()  # no graceful shutdown: the job's row stays "running"
            await bot.process.wait()
        openai.latency_s = 0
        async with bot_process(slack, openai, database, RESUME_MAX_AGE_S="0"):  # too old
            await slack.wait_for(lambda: slack.ephemerals, timeout=20)
        [notice] = slack.ephemerals
        assert notice["user"] == "U1" and notice["channel"] == "C1"
        assert "a fox lost in a crash" in notice["text"]
        buttons = [e for b in notice["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert buttons[0]["action_id"] == "imagine_regenerate" and buttons[0]["value"]
