"""Listeners answer Slack at their ack (``bot.listeners.answer_at_ack``): Bolt runs with
``process_before_response=True`` and still sends the HTTP response as soon as a listener acks,
while the listener's later work goes on; failures before the ack answer 500 as Bolt always
did, failures after it are logged; events answer at once."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlencode

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners import answer_at_ack as module
from bot.listeners.answer_at_ack import after_ack, answer_at_ack
from bot.server import BOLT_APP_KEY

FORM = {"content-type": ["application/x-www-form-urlencoded"]}
JSON = {"content-type": ["application/json"]}


async def _authorize(**_: Any) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=None, team_id="T1", bot_token="xoxb-test", bot_user_id="UB", bot_id="B1"
    )


def _app() -> AsyncApp:
    return AsyncApp(
        client=AsyncWebClient(),
        authorize=_authorize,
        request_verification_enabled=False,
        process_before_response=True,
    )


def _command(text: str = "hi") -> AsyncBoltRequest:
    body = urlencode(
        {"command": "/x", "text": text, "team_id": "T1", "user_id": "U1", "channel_id": "C1",
         "response_url": "https://hooks.slack.invalid/1", "trigger_id": "1.2.3"}
    )  # fmt: skip
    return AsyncBoltRequest(body=body, headers=FORM)


def _mention() -> AsyncBoltRequest:
    event = {"type": "app_mention", "user": "U1", "text": "<@UB> hi", "channel": "C1", "ts": "1.1"}
    body = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event": event,
            "event_id": "Ev1", "event_time": 1}  # fmt: skip
    return AsyncBoltRequest(body=json.dumps(body), headers=JSON)


async def test_the_response_goes_at_the_ack_and_the_work_goes_on() -> None:
    later = asyncio.Event()
    finished: list[str] = []

    async def listener(ack: Any, command: dict[str, Any]) -> None:
        await ack(text=f"got {command['text']}")
        await later.wait()
        finished.append(command["text"])

    app = _app()
    app.command("/x")(answer_at_ack(listener))
    response = await asyncio.wait_for(app.async_dispatch(_command("a fox")), timeout=2)
    assert response.status == 200 and response.body == "got a fox"
    assert finished == []  # still running after the response
    later.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert finished == ["a fox"] and not module._running


async def test_a_failure_before_the_ack_answers_500(caplog) -> None:
    async def listener(ack: Any) -> None:
        raise RuntimeError("broken before the ack")

    app = _app()
    app.command("/x")(answer_at_ack(listener))
    response = await app.async_dispatch(_command())
    assert response.status == 500


async def test_a_failure_after_the_ack_is_logged_with_its_traceback(caplog) -> None:
    async def listener(ack: Any) -> None:
        await ack()
        await asyncio.sleep(0)
        raise RuntimeError("broken after the ack")

    app = _app()
    app.command("/x")(answer_at_ack(listener))
    with caplog.at_level(logging.ERROR, logger="bot.listeners.answer_at_ack"):
        response = await app.async_dispatch(_command())
        for _ in range(20):
            await asyncio.sleep(0)
    assert response.status == 200
    failures = [r for r in caplog.records if "failed after its ack" in r.getMessage()]
    assert failures and failures[0].exc_info is not None
    assert "broken after the ack" in str(failures[0].exc_info[1])


async def test_an_event_is_answered_at_once_and_handled_after() -> None:
    later = asyncio.Event()
    seen: list[str] = []

    async def on_mention(event: dict[str, Any]) -> None:
        await later.wait()
        seen.append(event["text"])

    app = _app()
    app.event("app_mention")(answer_at_ack(on_mention))
    response = await asyncio.wait_for(app.async_dispatch(_mention()), timeout=2)
    assert response.status == 200 and seen == []
    later.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert seen == ["<@UB> hi"]


async def test_a_listener_that_never_acks_is_answered_after_slacks_3_seconds(
    monkeypatch,
) -> None:
    monkeypatch.setattr(module, "ACK_TIMEOUT_S", 0.05)
    release = asyncio.Event()

    async def listener(ack: Any) -> None:
        await release.wait()

    app = _app()
    app.command("/x")(answer_at_ack(listener))
    await asyncio.wait_for(app.async_dispatch(_command()), timeout=2)  # returns, does not hang
    release.set()
    await asyncio.sleep(0)


async def test_after_ack_runs_the_work_and_logs_its_failure(caplog) -> None:
    done: list[str] = []

    async def work() -> None:
        done.append("ran")

    async def broken() -> None:
        raise ValueError("boom")

    with caplog.at_level(logging.ERROR, logger="bot.listeners.answer_at_ack"):
        after_ack(work(), "work")
        after_ack(broken(), "broken")
        for _ in range(5):
            await asyncio.sleep(0)
    assert done == ["ran"] and not module._running
    assert any("imagine-broken" in r.getMessage() for r in caplog.records)


async def test_every_listener_but_the_slash_command_answers_at_its_ack(start_imagine) -> None:
    """The app registers each listener through answer_at_ack, except ``/imagine``, which
    returns at its ack by design (the benchmark's hot path)."""
    async with start_imagine() as imagine:
        bolt = imagine.http.server.app[BOLT_APP_KEY]
        listeners = bolt._async_listeners  # Bolt keeps them here; no public accessor
        wrapped = {
            listener.ack_function.__name__: hasattr(listener.ack_function, "__wrapped__")
            for listener in listeners
        }
    assert wrapped.pop("imagine_command") is False
    assert wrapped and all(wrapped.values()), wrapped


async def test_drain_lets_listeners_finish_then_cancels_the_rest(caplog) -> None:
    """At shutdown, listeners still at work after their ack get a grace period; the ones
    that outlive it are cancelled and waited for, so none outlives the services."""
    ended: list[str] = []

    async def quick() -> None:
        await asyncio.sleep(0.01)
        ended.append("quick")

    async def stuck() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            ended.append("stuck stopped")

    after_ack(quick(), "quick")
    after_ack(stuck(), "stuck")
    with caplog.at_level(logging.WARNING, logger="bot.listeners.answer_at_ack"):
        cancelled = await module.drain(grace_s=0.2)
    assert cancelled == 1
    assert ended == ["quick", "stuck stopped"] and not module._running
    assert any("1 listeners were still at work" in r.getMessage() for r in caplog.records)
    assert await module.drain(grace_s=0.2) == 0
