"""Shared fixtures: settings, and the environment scrubbed of Imagine's variables."""

from __future__ import annotations

from collections.abc import Callable
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
