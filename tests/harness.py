"""Driving the real app in-process: signed Slack requests sent to its aiohttp server, Slack Web
API calls answered by :class:`tests.fakes.FakeSlack`, OpenAI mocked with respx."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp.test_utils import TestClient
from slack_sdk.signature import SignatureVerifier

from bot.services import Services
from tests.conftest import BOT_TOKEN, OPENAI_KEY, SIGNING_SECRET
from tests.fakes import FakeSlack


def sign(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signing headers for ``body`` (``v0=`` HMAC-SHA256)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def slash_command_body(
    text: str,
    response_url: str,
    *,
    user: str = "U1",
    channel: str = "C1",
    trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
    team: str = "T1",
    enterprise: str | None = None,
    org_wide: bool = False,
) -> str:
    """A form-encoded ``/imagine text`` slash command as Slack sends it (platform.md, "Slash
    command payload"), from workspace ``team`` (of Enterprise Grid org ``enterprise``, where
    the app may be installed ``org_wide``)."""
    grid = {"enterprise_id": enterprise, "enterprise_name": "Acme Org"} if enterprise else {}
    return urlencode(
        {
            "token": "deprecated-verification-token",
            "team_id": team,
            "team_domain": "acme",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": f"user-{user}",
            "command": "/imagine",
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "true" if org_wide else "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
            **grid,
        }
    )


@dataclass
class Answer:
    """The app's HTTP answer: status and body (JSON when it is JSON)."""

    status: int
    body: Any


@dataclass
class Imagine:
    """The app under test, the fake Slack it talks to, and helpers that send real-shaped,
    signed payloads."""

    http: TestClient
    slack: FakeSlack
    services: Services

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> Answer:
        response = await self.http.post(
            "/slack/events",
            data=body.encode(),
            headers={"Content-Type": content_type, **sign(body), **(headers or {})},
        )
        text = await response.text()
        try:
            parsed: Any = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Answer(response.status, parsed)

    async def command(
        self,
        text: str,
        *,
        user: str = "U1",
        channel: str = "C1",
        trigger_id: str = "13345224609.738474920.8088930838d88f008e0",
        team: str = "T1",
        enterprise: str | None = None,
        org_wide: bool = False,
    ) -> Answer:
        """Send ``/imagine text`` as Slack does (form-encoded), from workspace ``team``."""
        body = slash_command_body(
            text,
            self.slack.new_response_url(),
            user=user,
            channel=channel,
            trigger_id=trigger_id,
            team=team,
            enterprise=enterprise,
            org_wide=org_wide,
        )
        return await self.post(body, "application/x-www-form-urlencoded")

    async def interactive(self, payload: dict[str, Any]) -> Answer:
        """Send an interactivity payload (``payload=`` JSON, form-encoded)."""
        return await self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    async def message_shortcut(
        self, callback_id: str, message: dict[str, Any], *, channel: str = "C1", user: str = "U1"
    ) -> Answer:
        """Trigger a message shortcut on ``message``."""
        return await self.interactive(
            {
                "type": "message_action",
                "token": "x",
                "action_ts": "1700000100.000001",
                "callback_id": callback_id,
                "trigger_id": "13345224609.738474920.8088930838d88f008e0",
                "response_url": self.slack.new_response_url(),
                "team": {"id": "T1", "domain": "acme"},
                "user": {"id": user, "name": "alice", "team_id": "T1"},
                "channel": {"id": channel, "name": "general"},
                "message_ts": message["ts"],
                "message": {"type": "message", "user": "U2", **message},
            }
        )

    async def submit_view(
        self, view: dict[str, Any], values: dict[str, Any], *, user: str = "U1"
    ) -> Answer:
        """Submit a modal that the app opened (``view`` as recorded by the fake) with
        ``values`` as ``view.state.values``."""
        return await self.interactive(
            {
                "type": "view_submission",
                "team": {"id": "T1", "domain": "acme"},
                "user": {"id": user, "name": "alice", "team_id": "T1"},
                "api_app_id": "A1",
                "trigger_id": "1.2.3",
                "view": {
                    "id": "V1",
                    "team_id": "T1",
                    "type": "modal",
                    "callback_id": view["callback_id"],
                    "private_metadata": view.get("private_metadata", ""),
                    "blocks": view.get("blocks", []),
                    "state": {"values": values},
                    "hash": "1.abc",
                },
            }
        )

    async def event(
        self, event: dict[str, Any], *, event_id: str = "Ev1", retry_num: int | None = None
    ) -> Answer:
        """Send an Events API ``event_callback``."""
        body = {
            "token": "x",
            "team_id": "T1",
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(json.dumps(body), "application/json", headers)

    async def function_executed(
        self,
        inputs: dict[str, Any],
        *,
        event_id: str | None = None,
        body: dict[str, Any] | None = None,
        retry_num: int | None = None,
    ) -> tuple[Any, dict[str, Any], Answer]:
        """Run the "Generate images" workflow step with ``inputs``: a new execution issued by
        the fake Slack (or the earlier ``body`` again, as a retry). Returns the execution, the
        event body and the app's answer."""
        if body is None:
            execution, body = self.slack.workflow.execution(inputs, event_id=event_id)
        else:
            execution = self.slack.workflow.executions[body["event"]["function_execution_id"]]
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        answer = await self.post(json.dumps(body), "application/json", headers)
        return execution, body, answer

    async def click(
        self, action_id: str, value: str, *, user: str = "U3", channel: str = "C1"
    ) -> Answer:
        """Click a button (``block_actions``)."""
        return await self.interactive(
            {
                "type": "block_actions",
                "team": {"id": "T1", "domain": "acme"},
                "user": {"id": user, "name": "bob", "team_id": "T1"},
                "api_app_id": "A1",
                "trigger_id": "1.2.3",
                "channel": {"id": channel, "name": "general"},
                "container": {
                    "type": "message",
                    "message_ts": "1700000000.000200",
                    "channel_id": channel,
                },
                "message": {
                    "type": "message",
                    "ts": "1700000000.000200",
                    "text": "Want another take?",
                },
                "response_url": self.slack.new_response_url(),
                "actions": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "block_id": "b",
                        "value": value,
                        "action_ts": "1700000200.1",
                    }
                ],
            }
        )


def select_state(options: dict[str, str], prompt: str) -> dict[str, Any]:
    """``view.state.values`` for the Imagine modal: a prompt and static_select choices."""
    values: dict[str, Any] = {"prompt": {"value": {"type": "plain_text_input", "value": prompt}}}
    for block_id, value in options.items():
        values[block_id] = {
            "value": {
                "type": "static_select",
                "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}},
            }
        }
    return values


def modal_defaults(view: dict[str, Any]) -> dict[str, Any]:
    """``view.state.values`` for submitting ``view`` with each field at its initial value, as a
    person who only presses Generate would."""
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        if element["type"] == "plain_text_input":
            entry = {"type": "plain_text_input", "value": element.get("initial_value")}
        else:
            entry = {"type": element["type"], "selected_option": element.get("initial_option")}
        values[block["block_id"]] = {element["action_id"]: entry}
    return values


# --- `python -m bot` as a process ---------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_environment(
    slack: FakeSlack, openai_base_url: str, database_url: str, port: int, **settings: str
) -> dict[str, str]:
    """The environment of a ``python -m bot`` pointed at ``slack`` and ``openai_base_url``: the
    test secrets, ``PORT``, ``DATABASE_URL``, then ``settings`` (environment names) on top."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(ROOT)),
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "OPENAI_API_KEY": OPENAI_KEY,
        "SLACK_API_URL": slack.base_url,
        "OPENAI_BASE_URL": openai_base_url,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        **settings,
    }


class BotProcess:
    """A running ``python -m bot``. Its output is read all the time into ``lines`` (the last
    ``keep_lines``, or all), so a chatty app never blocks on a full pipe."""

    def __init__(
        self, process: asyncio.subprocess.Process, port: int, keep_lines: int | None
    ) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.lines: deque[str] = deque(maxlen=keep_lines)
        self._drain = asyncio.create_task(self._read_output())

    @classmethod
    async def start(
        cls, environment: dict[str, str], *, keep_lines: int | None = None, timeout_s: float = 30
    ) -> BotProcess:
        """Start the app with ``environment`` (see :func:`bot_environment`) and wait until
        ``/healthz`` answers 200. Raises ``RuntimeError`` with the app's output when it exits
        or is not up within ``timeout_s`` seconds."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=ROOT,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        bot = cls(process, int(environment["PORT"]), keep_lines)
        deadline = time.monotonic() + timeout_s
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline and process.returncode is None:
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with session.get(f"{bot.url}/healthz") as response:
                        if response.status == 200:
                            return bot
                await asyncio.sleep(0.05)
        await bot.stop()
        raise RuntimeError("the app did not start:\n" + bot.output)

    async def _read_output(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.lines.append(line.decode(errors="replace").rstrip())

    @property
    def output(self) -> str:
        """What the app printed so far (complete once :meth:`stop` returned)."""
        return "\n".join(self.lines)

    async def stop(self, grace_s: float = 30) -> int:
        """SIGTERM (unless it already exited), SIGKILL after ``grace_s`` seconds; returns the
        exit code once all output is read."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), grace_s)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await asyncio.wait_for(self._drain, 10)
        assert self.process.returncode is not None
        return self.process.returncode

    async def command(
        self,
        session: aiohttp.ClientSession,
        text: str,
        response_url: str,
        *,
        team: str = "T1",
        channel: str = "C1",
    ) -> tuple[int, dict[str, Any]]:
        """Send a signed ``/imagine text`` from workspace ``team``; returns the HTTP status and
        the ack's JSON."""
        body = slash_command_body(text, response_url, team=team, channel=channel)
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
        async with session.post(f"{self.url}/slack/events", data=body, headers=headers) as answer:
            return answer.status, await answer.json(content_type=None)
