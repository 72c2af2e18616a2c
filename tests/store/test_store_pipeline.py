"""The store wired into the real pipeline and the real Slack client, against the strict fake
Slack: the pipeline records each job through the store, Regenerate keys come from the store, and
the Home tab is accepted by ``views.publish``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import ModerationBlockedError
from bot.listeners.events.app_home import app_home_opened
from bot.openai.backends import EditInputs, GeneratedImage, Generation
from bot.openai.client import OnAnswer
from bot.openai.models import Usage
from bot.pipeline import Pipeline
from bot.request import ImageRequest
from bot.settings import Settings
from bot.store import Store
from tests.fakes import FakeSlack
from tests.fakes.images import make_png
from tests.store.support import MODEL, make_job, reserve
from tests.workspace_support import listener_services

TOKEN = "xoxb-test"


class FakeBackend:
    """Makes ``request.n`` images, or raises ``error``."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    async def generate(
        self,
        request: ImageRequest,
        *,
        user: str,
        on_answer: OnAnswer | None = None,
        inputs: EditInputs | None = None,
    ) -> Generation:
        """See :class:`bot.openai.backends.ImageBackend`."""
        assert user.startswith("imagine-")  # a hash: Slack ids never reach OpenAI
        if self.error is not None:
            raise self.error
        if on_answer is not None:
            await on_answer()
        return Generation(
            images=[
                GeneratedImage(data=make_png(), revised_prompt=f"{request.prompt}, drawn")
                for _ in range(request.n)
            ],
            usage=Usage(
                input_tokens=10, output_tokens=100 * request.n, total_tokens=10 + 100 * request.n
            ),
        )


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(bot_token=TOKEN) as fake:
        yield fake


def pipeline(slack: FakeSlack, store: Store, backend: FakeBackend) -> Pipeline:
    return Pipeline(
        slack=AsyncWebClient(base_url=slack.base_url, token=TOKEN),
        backend=backend,
        regenerate=store.regenerate,
        model=MODEL,
        job_timeout_s=30,
        payload_slots=asyncio.Semaphore(2),
        recorder=store.history,
    )


async def test_the_pipeline_records_a_job_and_its_regenerate_key(
    slack: FakeSlack, store: Store
) -> None:
    job = make_job(n=2, prompt="a paper boat")
    await reserve(store, job)

    await pipeline(slack, store, FakeBackend()).run(job)

    record = await store.history.record(job.id)
    assert record is not None
    assert (record.status, record.generated, record.images) == ("ok", 2, 2)
    assert record.revised_prompts == ["a paper boat, drawn", "a paper boat, drawn"]
    assert (record.input_tokens, record.output_tokens) == (10, 200)
    assert record.cost_usd == pytest.approx(0.010)
    [button_message] = [m for m in slack.messages if m.blocks and m.blocks[-1]["type"] == "actions"]
    key = button_message.blocks[-1]["elements"][0]["value"]  # type: ignore[index]
    entry = await store.regenerate.get(key)
    assert entry is not None and entry.request == job.request


async def test_the_pipeline_records_a_refused_prompt(slack: FakeSlack, store: Store) -> None:
    job = make_job(n=1)
    await reserve(store, job)
    error = ModerationBlockedError("blocked", status=400, code="moderation_blocked")

    await pipeline(slack, store, FakeBackend(error)).run(job)

    record = await store.history.record(job.id)
    assert record is not None
    assert (record.status, record.error_code, record.images) == (
        "ModerationBlockedError",
        "moderation_blocked",
        0,
    )


async def test_a_cancelled_job_is_recorded_as_interrupted(slack: FakeSlack, store: Store) -> None:
    job = make_job(n=1)
    await reserve(store, job)
    blocked = asyncio.Event()

    class SlowBackend(FakeBackend):
        async def generate(self, request: ImageRequest, **kwargs: Any) -> Generation:
            blocked.set()
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

    task = asyncio.create_task(pipeline(slack, store, SlowBackend()).run(job))
    await blocked.wait()
    assert (await store.history.record(job.id)).status == "running"  # type: ignore[union-attr]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    record = await store.history.record(job.id)
    assert record is not None and (record.status, record.images) == ("interrupted", 0)
    assert await store.interrupted.claim() == []  # recorded at shutdown: not reported again


async def test_the_home_tab_is_accepted_by_views_publish(
    slack: FakeSlack, store: Store, make_settings: Callable[..., Settings]
) -> None:
    job = make_job(n=1, prompt="a paper boat")
    await reserve(store, job)
    await pipeline(slack, store, FakeBackend()).run(job)
    settings = make_settings(admin_user_ids="U1", monthly_budget_usd=10)
    context = {"imagine": listener_services(store, settings, model_notices=[]), "team_id": "T1"}
    client = AsyncWebClient(base_url=slack.base_url, token=TOKEN)

    await app_home_opened(event={"user": "U1", "tab": "home"}, client=client, context=context)  # type: ignore[arg-type]

    view = slack.home_views["U1"]
    texts = [block.get("text", {}).get("text", "") for block in view["blocks"]]
    assert "a paper boat" in texts
    assert "Workspace (admins only)" in texts
