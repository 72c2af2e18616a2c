"""The OAuth-mode tests' fixture: the real app in OAuth mode (Bolt's AsyncApp on its aiohttp
server) against a :class:`tests.fakes.slack_oauth.FakeSlackWorkspaces` and the respx-mocked
OpenAI."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.server import create_web_app
from bot.services import open_services
from tests.conftest import OPENAI_BASE
from tests.fakes.slack_oauth import FakeSlackWorkspaces
from tests.harness import Imagine
from tests.oauth.support import CLIENT_ID, CLIENT_SECRET, T2_CHANNELS, T3_CHANNELS


@pytest.fixture
def start_oauth(make_settings: Callable[..., Any], openai_mock: Any) -> Callable[..., Any]:
    """``async with start_oauth() as imagine:`` the real app in OAuth mode against a
    :class:`FakeSlackWorkspaces` with workspaces T2 and T3 (nothing installed yet)."""

    @contextlib.asynccontextmanager
    async def start(token_rotation: bool = False, **overrides: Any) -> AsyncIterator[Imagine]:
        async with FakeSlackWorkspaces(
            "xoxb-never-given-to-the-app",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            token_rotation=token_rotation,
        ) as slack:
            slack.add_workspace("T2", "Second Co", channels=T2_CHANNELS)
            slack.add_workspace("T3", "Third Co", channels=T3_CHANNELS)
            settings = make_settings(
                slack_bot_token=None,
                slack_client_id=CLIENT_ID,
                slack_client_secret=CLIENT_SECRET,
                slack_api_url=slack.base_url,
                openai_base_url=OPENAI_BASE,
                **overrides,
            )
            services = await open_services(settings)
            app = create_web_app(create_app(services), services)
            async with TestClient(TestServer(app)) as http:
                yield Imagine(http=http, slack=slack, services=services)
            await services.jobs.shutdown(grace_s=10)
            await services.aclose()

    return start
