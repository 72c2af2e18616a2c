"""Shared fixtures: settings, and the environment scrubbed of Imagine's variables."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.settings import Settings

BOT_TOKEN = "xoxb-1111-2222-testbottoken"
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
OPENAI_KEY = "sk-test-0123456789abcdefghij"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No test reads the developer's environment or .env file."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


# How long tasks a test left running may take to end once cancelled.
STUCK_TASK_S = 15.0


@pytest.fixture(autouse=True)
async def _no_task_outlives_its_test() -> AsyncIterator[None]:
    """After each test (its other fixtures torn down): cancel the tasks it left running and
    wait for them. A task that does not end within ``STUCK_TASK_S`` seconds fails the test
    with its stack; left alone it would hang the event loop's close, and with it the run."""
    yield
    current = asyncio.current_task()
    left = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    for task in left:
        task.cancel()
    if not left:
        return
    _, stuck = await asyncio.wait(left, timeout=STUCK_TASK_S)
    if stuck:
        stacks = []
        for task in stuck:
            frames = io.StringIO()
            task.print_stack(file=frames)
            stacks.append(frames.getvalue())
        pytest.fail(f"{len(stuck)} tasks did not end when cancelled:\n" + "\n".join(stacks))


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    """Build Settings with test secrets; keyword arguments override fields."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "openai_api_key": OPENAI_KEY,
            "openai_base_url": "https://openai.test/v1",
            "slack_api_url": "http://127.0.0.1:9/api/",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return build


# --- The app in-process, against FakeSlack and respx ---------------------------------------------

import base64  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402

import httpx  # noqa: E402
import respx  # noqa: E402

OPENAI_BASE = "https://openai.test/v1"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PNG_B64 = base64.b64encode(PNG_BYTES).decode()


def revised(prompt: str) -> str:
    """What the mocked model says it drew for ``prompt``."""
    return f"A detailed rendering of {prompt}"


def responses_answer(request: httpx.Request) -> httpx.Response:
    """A real-shaped Responses API answer for ``request``, revised prompt included."""
    body = json.loads(request.content)
    return httpx.Response(
        200,
        headers={"x-request-id": "req_ok"},
        json={
            "id": "resp_1",
            "object": "response",
            "status": "completed",
            "model": body["model"],
            "output": [
                {
                    "type": "image_generation_call",
                    "id": "ig_1",
                    "status": "completed",
                    "result": PNG_B64,
                    "revised_prompt": revised(body["input"]),
                },
                {
                    "type": "message",
                    "id": "msg_1",
                    "role": "assistant",
                    "status": "completed",
                    "content": [],
                },
            ],
            "usage": {"input_tokens": 12, "output_tokens": 30, "total_tokens": 42},
        },
    )


@pytest.fixture
def openai_mock() -> Any:
    """respx mocking OpenAI at OPENAI_BASE; ``openai_mock["responses"]`` is the Responses route.
    Requests to 127.0.0.1 (the local fakes) pass through."""
    with respx.mock(base_url=OPENAI_BASE, assert_all_called=False) as router:
        router.post("/responses", name="responses").mock(side_effect=responses_answer)
        # The local fakes are really called: FakeSlack serves people's files (input images).
        router.route(host="127.0.0.1").pass_through()
        yield router


@pytest.fixture
def start_imagine(make_settings, openai_mock) -> Callable[..., Any]:
    """``async with start_imagine(**settings) as imagine:`` runs the real app (Bolt AsyncApp on
    its aiohttp server) against a fresh FakeSlack and the respx-mocked OpenAI."""
    from aiohttp.test_utils import TestClient, TestServer

    from bot.app import create_app
    from bot.listeners import answer_at_ack
    from bot.server import create_web_app
    from bot.services import open_services
    from tests.fakes import FakeSlack
    from tests.harness import Imagine

    @contextlib.asynccontextmanager
    async def start(
        channels: dict[str, str] | None = None, **overrides: Any
    ) -> AsyncIterator[Imagine]:
        async with FakeSlack(bot_token=BOT_TOKEN, channels=channels or {}) as slack:
            settings = make_settings(
                slack_api_url=slack.base_url, openai_base_url=OPENAI_BASE, **overrides
            )
            services = await open_services(settings)
            app = create_web_app(create_app(services), services)
            async with TestClient(TestServer(app)) as http:
                yield Imagine(http=http, slack=slack, services=services)
            await services.jobs.shutdown(grace_s=10)  # let jobs finish, as on SIGTERM
            await answer_at_ack.drain(grace_s=5)  # and the listeners still at work, as on SIGTERM
            await services.aclose()

    return start
