"""Today's models: shutdown dates in the settings, and the start-up ``GET /models/{id}`` check
(against FakeOpenAI, respx, and ``python -m bot`` as a process)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from bot.capabilities import capabilities_for
from bot.errors import ConfigError
from bot.openai.model_check import check_models
from bot.settings import load_settings
from tests.conftest import BOT_TOKEN, OPENAI_KEY, SIGNING_SECRET
from tests.fakes import FakeOpenAI, FakeSlack
from tests.harness import ROOT, BotProcess, bot_environment, free_port
from tests.openapi import check_body

TODAY = date(2026, 11, 21)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    return monkeypatch


# --- The capability table and the settings -------------------------------------------------------


def test_the_table_records_openais_shutdown_dates() -> None:
    dates = {
        name: (capabilities_for(name).shutdown_date, capabilities_for(name).replacement)
        for name in ("dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1.5", "gpt-image-1-mini",
                     "chatgpt-image-latest", "gpt-image-2")
    }  # fmt: skip
    assert dates == {
        "dall-e-2": (date(2026, 5, 12), "gpt-image-2"),
        "dall-e-3": (date(2026, 5, 12), "gpt-image-2"),
        "gpt-image-1": (date(2026, 10, 23), "gpt-image-2"),
        "gpt-image-1.5": (date(2026, 12, 1), "gpt-image-2"),
        "gpt-image-1-mini": (date(2026, 12, 1), "gpt-image-2"),
        "chatgpt-image-latest": (date(2026, 12, 1), "gpt-image-2"),
        "gpt-image-2": (None, None),
    }
    assert capabilities_for("gpt-image-1-2025-04-15").shutdown_date == date(2026, 10, 23)
    assert capabilities_for("my-gateway-model").shutdown_date is None  # unknown: no date


def test_a_shut_down_model_on_openai_is_a_settings_error(env: pytest.MonkeyPatch) -> None:
    env.setenv("IMAGE_MODEL", "gpt-image-1")
    with pytest.raises(ConfigError) as info:
        load_settings(today=TODAY)
    [problem] = info.value.problems
    assert "IMAGE_MODEL=gpt-image-1" in problem and "2026-10-23" in problem
    assert "IMAGE_MODEL=gpt-image-2 instead" in problem
    env.setenv("IMAGE_MODEL", "gpt-image-1.5")
    assert load_settings(today=TODAY).image_model == "gpt-image-1.5"  # 10 days left
    with pytest.raises(ConfigError, match="gpt-image-1.5 was shut down by OpenAI on 2026-12-01"):
        load_settings(today=date(2026, 12, 1))
    env.setenv("IMAGE_MODEL", "gpt-image-2")
    assert load_settings(today=date(2030, 1, 1)).image_model == "gpt-image-2"


def test_on_a_compatible_server_the_dates_are_advisory(env: pytest.MonkeyPatch) -> None:
    env.setenv("IMAGE_MODEL", "dall-e-3")
    env.setenv("IMAGE_API", "images")
    env.setenv("DEFAULT_QUALITY", "hd")
    with pytest.raises(ConfigError, match="dall-e-3 was shut down by OpenAI on 2026-05-12"):
        load_settings(today=TODAY)
    env.setenv("OPENAI_BASE_URL", "https://llm-gateway.internal/v1")
    assert load_settings(today=TODAY).image_model == "dall-e-3"


# --- check_models against FakeOpenAI -------------------------------------------------------------


async def test_the_fake_answers_the_model_object_of_the_openapi_document() -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY) as openai, httpx.AsyncClient() as http:
        openai.shutdown_dates["gpt-image-1.5"] = "2026-12-01"
        headers = {"Authorization": f"Bearer {OPENAI_KEY}"}
        for model in ("gpt-image-2", "gpt-image-1.5", "gpt-4.1-mini"):
            answer = await http.get(f"{openai.base_url}/models/{model}", headers=headers)
            assert answer.status_code == 200 and check_body("Model", answer.json()) == []
            assert answer.json()["id"] == model
        assert answer.json().get("shutdown_date") is None
        dated = await http.get(f"{openai.base_url}/models/gpt-image-1.5", headers=headers)
        assert dated.json()["shutdown_date"] == "2026-12-01"
        gone = await http.get(f"{openai.base_url}/models/dall-e-3", headers=headers)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "model_not_found"
        assert gone.headers["x-request-id"]
        anonymous = await http.get(f"{openai.base_url}/models/gpt-image-2")
        assert anonymous.status_code == 401


async def test_available_models_pass_with_the_key_sent(make_settings: Any) -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY) as openai:
        notices = await check_models(make_settings(openai_base_url=openai.base_url), today=TODAY)
    assert notices == []
    paths = sorted(r.path for r in openai.requests)
    assert paths == ["/v1/models/gpt-4.1-mini", "/v1/models/gpt-image-2"]
    assert all(r.headers["Authorization"] == f"Bearer {OPENAI_KEY}" for r in openai.requests)


async def test_a_shutdown_date_in_the_answer_gives_a_warning(
    make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY) as openai:
        openai.shutdown_dates["gpt-image-2"] = "2027-01-15"
        openai.shutdown_dates["gpt-4.1-mini"] = "2027-06-01"  # beyond 60 days: nothing
        settings = make_settings(openai_base_url=openai.base_url)
        with caplog.at_level(logging.WARNING):
            [notice] = await check_models(settings, today=TODAY)
    assert (notice.setting, notice.model, notice.shutdown_date) == (
        "IMAGE_MODEL",
        "gpt-image-2",
        date(2027, 1, 15),
    )
    assert notice.source == "openai" and not notice.advisory
    assert "2027-01-15 (in 55 days)" in notice.text
    [record] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "2027-01-15" in record.getMessage() and "IMAGE_MODEL=gpt-image-2" in record.getMessage()


async def test_the_tables_date_counts_when_the_answer_has_none(make_settings: Any) -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY) as openai:
        settings = make_settings(openai_base_url=openai.base_url, image_model="gpt-image-1.5")
        [notice] = await check_models(settings, today=TODAY)
    assert notice.shutdown_date == date(2026, 12, 1) and notice.source == "table"
    assert notice.advisory  # the fake is not api.openai.com
    assert "in 10 days" in notice.text and "IMAGE_MODEL=gpt-image-2" in notice.text


async def test_a_retired_model_stops_the_start(make_settings: Any) -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY, retired_models={"gpt-image-1-mini"}) as openai:
        settings = make_settings(
            openai_base_url=openai.base_url, image_model="gpt-image-1-mini", image_api="images"
        )
        with pytest.raises(ConfigError) as info:
            await check_models(settings, today=TODAY)
    [problem] = info.value.problems
    assert "IMAGE_MODEL=gpt-image-1-mini is not available" in problem
    assert "404 model_not_found" in problem and "IMAGE_MODEL=gpt-image-2 instead" in problem


async def test_an_unknown_responses_model_stops_the_start(make_settings: Any) -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY) as openai:
        settings = make_settings(openai_base_url=openai.base_url, responses_model="gpt-4.2-typo")
        with pytest.raises(ConfigError) as info:
            await check_models(settings, today=TODAY)
    [problem] = info.value.problems
    assert problem.startswith("RESPONSES_MODEL=gpt-4.2-typo is not available")
    assert "IMAGE_API=images" in problem


async def test_a_rejected_key_stops_the_start_once_without_the_key(make_settings: Any) -> None:
    async with FakeOpenAI(api_key="sk-the-right-key-000000") as openai:
        with pytest.raises(ConfigError) as info:
            await check_models(make_settings(openai_base_url=openai.base_url), today=TODAY)
    [problem] = info.value.problems  # two models, one problem
    assert "OPENAI_API_KEY was rejected" in problem and "401 invalid_api_key" in problem
    assert OPENAI_KEY not in problem and OPENAI_KEY[-4:] not in problem


async def test_a_network_error_or_timeout_is_a_warning(
    make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/v1"
    settings = make_settings(openai_base_url=closed, image_model="gpt-image-1.5")
    with caplog.at_level(logging.WARNING):
        [notice] = await check_models(settings, today=TODAY)
    assert notice.source == "table"  # the table's date still warns
    assert "could not check IMAGE_MODEL=gpt-image-1.5" in caplog.text
    assert "ConnectError" in caplog.text
    caplog.clear()
    async with FakeOpenAI(api_key=OPENAI_KEY) as openai:
        openai.fail_next("/models/gpt-image-2", hang=True)
        settings = make_settings(openai_base_url=openai.base_url)
        with caplog.at_level(logging.WARNING):
            assert await check_models(settings, today=TODAY, timeout_s=0.3) == []
    assert "could not check IMAGE_MODEL=gpt-image-2" in caplog.text and "timed out" in caplog.text
    assert OPENAI_KEY not in caplog.text


@respx.mock
async def test_a_404_from_a_gateway_without_the_route_is_only_a_warning(
    make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    respx.get(url__regex=r"https://gw\.example/v1/models/.*").respond(404, text="Not Found")
    settings = make_settings(openai_base_url="https://gw.example/v1")
    with caplog.at_level(logging.WARNING):
        assert await check_models(settings, today=TODAY) == []
    assert "HTTP 404" in caplog.text
    # The same bare 404 from OpenAI itself means the model is gone.
    respx.get(url__regex=r"https://api\.openai\.com/v1/models/.*").respond(404, text="Not Found")
    with pytest.raises(ConfigError, match="IMAGE_MODEL=gpt-image-2 is not available"):
        await check_models(make_settings(openai_base_url="https://api.openai.com/v1"), today=TODAY)


@respx.mock
async def test_a_restricted_key_that_may_not_read_models_is_only_a_warning(
    make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    message = (
        "You have insufficient permissions for this operation. Missing scopes: api.model.read. "
        "Check that you have the correct role in your organization (Reader, Writer, Owner) and "
        "project (Member, Owner), and if you're using a restricted API key, that it has the "
        "necessary scopes."
    )
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None,
                      "code": None}}  # fmt: skip
    respx.get(url__regex=r"https://api\.openai\.com/v1/models/.*").respond(401, json=body)
    settings = make_settings(openai_base_url="https://api.openai.com/v1")
    with caplog.at_level(logging.WARNING):
        assert await check_models(settings, today=TODAY) == []
    assert "api.model.read" in caplog.text


@respx.mock
async def test_a_server_error_or_odd_answer_is_a_warning(make_settings: Any) -> None:
    route = respx.get(url__regex=r"https://api\.openai\.com/v1/models/.*")
    route.side_effect = [httpx.Response(503), httpx.Response(200, json={"no": "model"})]
    settings = make_settings(openai_base_url="https://api.openai.com/v1")
    assert await check_models(settings, today=TODAY) == []
    assert route.call_count == 2


async def test_a_model_openai_shut_down_is_advisory_on_a_compatible_server(
    make_settings: Any,
) -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY, retired_models=()) as openai:  # still has DALL·E
        settings = make_settings(
            openai_base_url=openai.base_url, image_model="dall-e-3", image_api="images",
            default_quality="hd",
        )  # fmt: skip
        [notice] = await check_models(settings, today=TODAY)
    assert notice.advisory and notice.shutdown_date == date(2026, 5, 12)
    assert "was shut down by OpenAI on 2026-05-12" in notice.text
    assert "may keep serving it" in notice.text


# --- The Home tab --------------------------------------------------------------------------------


async def test_admins_see_the_notice_on_the_home_tab(start_imagine: Any, openai_mock: Any) -> None:
    today = datetime.now(UTC).date()  # the Home tab counts the days from the real clock
    soon = (today + timedelta(days=29)).isoformat()
    model = {"id": "gpt-image-2", "object": "model", "created": 1, "owned_by": "system"}
    openai_mock.get("/models/gpt-image-2").respond(json={**model, "shutdown_date": soon})
    openai_mock.get("/models/gpt-4.1-mini").respond(json={**model, "id": "gpt-4.1-mini"})
    async with start_imagine(admin_user_ids="U9") as imagine:
        settings = imagine.services.settings
        imagine.services.model_notices = await check_models(settings, today=today - timedelta(1))
        for user, event_id in (("U9", "EvH1"), ("U1", "EvH2")):
            event = {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}
            assert (await imagine.event(event, event_id=event_id)).status == 200
        await imagine.slack.wait_for(lambda: len(imagine.slack.home_views) == 2)
    admin = json.dumps(imagine.slack.home_views["U9"])
    assert "Model notice" in admin and f"{soon} (in 29 days)" in admin  # not 30: counted today
    assert "Model notice" not in json.dumps(imagine.slack.home_views["U1"])


# --- python -m bot -------------------------------------------------------------------------------


async def _run_bot(slack: FakeSlack, base_url: str, **settings: str) -> tuple[int, str]:
    database = Path(tempfile.mkdtemp()) / "imagine.db"
    environment = bot_environment(
        slack, base_url, f"sqlite+aiosqlite:///{database}", free_port(), **settings
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_python_m_bot_exits_2_for_a_model_openai_does_not_serve() -> None:
    async with (
        FakeSlack(bot_token=BOT_TOKEN) as slack,
        FakeOpenAI(api_key=OPENAI_KEY, retired_models={"gpt-image-1-mini"}) as openai,
    ):
        code, output = await _run_bot(
            slack, openai.base_url, IMAGE_MODEL="gpt-image-1-mini", IMAGE_API="images"
        )
    assert code == 2, output
    assert "IMAGE_MODEL=gpt-image-1-mini is not available" in output
    assert "IMAGE_MODEL=gpt-image-2 instead" in output
    assert "Traceback" not in output and OPENAI_KEY not in output
    assert not openai.requests_to("/images/generations")


async def test_python_m_bot_warns_about_a_near_shutdown_and_serves() -> None:
    async with FakeSlack(bot_token=BOT_TOKEN) as slack, FakeOpenAI(api_key=OPENAI_KEY) as openai:
        soon = (datetime.now(UTC).date() + timedelta(days=40)).isoformat()  # the real clock
        openai.shutdown_dates["gpt-image-2"] = soon
        database = Path(tempfile.mkdtemp()) / "imagine.db"
        environment = bot_environment(
            slack, openai.base_url, f"sqlite+aiosqlite:///{database}", free_port()
        )
        bot = await BotProcess.start(environment)
        code = await bot.stop()
    assert code == 0
    [line] = [line for line in bot.lines if "model notice" in line]
    assert "WARNING" in line and f"IMAGE_MODEL=gpt-image-2 shuts down on {soon}" in line


@pytest.mark.parametrize(
    "answered",
    [
        "2026-12-20",
        "2026-12-20T00:00:00Z",
        "2026-12-20T23:30:00-01:00",
        1797724800,
        1797724800.0,
        "1797724800",
    ],
)
async def test_a_shutdown_date_is_read_in_any_form_openai_gives_dates(
    make_settings: Any, answered: Any
) -> None:
    """The spec says ``YYYY-MM-DD``; a date-time, or Unix seconds as ``created`` is given, is
    read too (UTC), rather than dropped as an unreadable answer."""
    model = {"id": "gpt-image-2", "object": "model", "created": 1, "owned_by": "openai"}
    with respx.mock(base_url="https://api.openai.com/v1") as router:
        router.get("/models/gpt-image-2").respond(json={**model, "shutdown_date": answered})
        [notice] = await check_models(make_settings(openai_base_url="https://api.openai.com/v1",
                                                    image_api="images"), today=TODAY)  # fmt: skip
    expected = date(2026, 12, 21) if answered == "2026-12-20T23:30:00-01:00" else date(2026, 12, 20)
    assert (notice.model, notice.shutdown_date, notice.source) == (
        "gpt-image-2",
        expected,
        "openai",
    )
    assert "switch to the image model OpenAI names as its replacement" in notice.text


async def test_a_404_for_the_current_image_model_asks_for_access_not_another_model(
    make_settings: Any,
) -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY, retired_models={"gpt-image-2"}) as openai:
        settings = make_settings(openai_base_url=openai.base_url, image_api="images")
        with pytest.raises(ConfigError) as info:
            await check_models(settings, today=TODAY)
    [problem] = info.value.problems
    assert problem.startswith("IMAGE_MODEL=gpt-image-2 is not available")
    assert "has access to it" in problem and "instead" not in problem


async def test_a_404_for_an_unknown_image_model_names_the_current_one(make_settings: Any) -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY) as openai:
        settings = make_settings(
            openai_base_url=openai.base_url, image_model="gpt-image-3", image_api="images"
        )
        with pytest.raises(ConfigError) as info:
            await check_models(settings, today=TODAY)
    [problem] = info.value.problems
    assert "IMAGE_MODEL=gpt-image-2 instead" in problem


@pytest.mark.parametrize("answered", [True, "soon", [], {"date": "2026-12-20"}])
async def test_an_unreadable_shutdown_date_counts_as_none(
    make_settings: Any, answered: Any
) -> None:
    model = {"id": "gpt-image-2", "object": "model", "created": 1, "owned_by": "openai"}
    with respx.mock(base_url="https://api.openai.com/v1") as router:
        router.get("/models/gpt-image-2").respond(json={**model, "shutdown_date": answered})
        notices = await check_models(
            make_settings(openai_base_url="https://api.openai.com/v1", image_api="images"),
            today=TODAY,
        )
    assert notices == []  # not 1970-01-01 for true, and no table date for gpt-image-2
