"""The "Generate images" workflow step run by ``python -m bot`` as a process, against the local
fake Slack (which sends the signed ``function_executed`` event and checks the execution token)
and the fake OpenAI: end to end, and a step cut short by a crash, failed at the next start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml

from bot import messages
from tests.conftest import BOT_TOKEN, OPENAI_KEY, SIGNING_SECRET
from tests.fakes import FakeOpenAI, FakeSlack
from tests.harness import ROOT
from tests.test_process import bot_process

FUNCTIONS = yaml.safe_load((ROOT / "manifest.yml").read_text())["functions"]
THREAD = "1700000000.000100"


async def test_python_m_bot_runs_the_step_end_to_end() -> None:
    async with FakeSlack(bot_token=BOT_TOKEN) as slack, FakeOpenAI(api_key=OPENAI_KEY) as openai:
        slack.workflow.declare(FUNCTIONS)
        async with bot_process(slack, openai) as bot:
            step = {
                "prompt": "a red kite over the dunes",
                "channel_id": "C9",
                "n": 2,
                "size": "square",
                "preset": "brand",
                "message_context": {"channel_id": "C9", "message_ts": THREAD},
                "user_id": "U5",
            }
            execution, body = slack.workflow.execution(step)
            url = f"{bot.url}/slack/events"
            assert await slack.workflow.deliver(url, body, SIGNING_SECRET) == 200
            assert await slack.workflow.deliver(url, body, SIGNING_SECRET) == 200  # a retry
            await slack.wait_for(lambda: execution.state != "running", timeout=30)
            await asyncio.sleep(0.2)  # a second run, if any, would have started by now
        assert execution.state == "completed", execution.error
        [message] = [m for m in slack.messages if m.files]
        assert (message.channel, message.thread_ts, len(message.files)) == ("C9", THREAD, 2)
        assert message.text.startswith("<@U5> imagined")
        outputs = execution.outputs
        assert outputs["message_ts"] == message.ts and outputs["image_count"] == 2
        assert outputs["permalink"].startswith("https://") and outputs["request_id"]
        assert "a red kite over the dunes" in outputs["revised_prompt"]
        assert len(slack.calls_to("functions.completeSuccess")) == 1
        assert len([r for r in openai.requests if r.path.endswith("/responses")]) == 2
        assert execution.token not in bot.output and BOT_TOKEN not in bot.output


async def test_a_step_cut_short_by_a_crash_is_failed_at_the_next_start(tmp_path: Path) -> None:
    database = tmp_path / "imagine.db"
    async with (
        FakeSlack(bot_token=BOT_TOKEN) as slack,
        FakeOpenAI(api_key=OPENAI_KEY, latency_s=30) as openai,
    ):
        slack.workflow.declare(FUNCTIONS)
        async with bot_process(slack, openai, database) as bot:
            url = f"{bot.url}/slack/events"
            cut_short, first = slack.workflow.execution({"prompt": "a fox", "channel_id": "C1"})
            expired, second = slack.workflow.execution({"prompt": "an owl", "channel_id": "C1"})
            for body in (first, second):
                assert await slack.workflow.deliver(url, body, SIGNING_SECRET) == 200

            def generating() -> list[object]:
                return [r for r in openai.requests if r.path.endswith("/responses")]

            await slack.wait_for(lambda: len(generating()) >= 2, timeout=15)
            bot.process.kill()  # no graceful shutdown: both steps are left running
            await bot.process.wait()
        assert cut_short.state == expired.state == "running"
        slack.workflow.expire(expired.id)  # its token ran out while the app was down
        openai.latency_s = 0
        async with bot_process(slack, openai, database) as restarted:
            await slack.wait_for(lambda: cut_short.state != "running", timeout=20)
            await slack.wait_for(lambda: len(slack.calls_to("functions.completeError")) == 2)
            await asyncio.sleep(0.2)
        assert cut_short.state == "failed" and cut_short.error == messages.STEP_INTERRUPTED
        assert expired.state == "running"  # Slack refused the expired token: logged, no crash
        assert "token_expired" in restarted.output
        assert restarted.process.returncode == 0
        for token in (cut_short.token, expired.token):
            assert token not in bot.output and token not in restarted.output
