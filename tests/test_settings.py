"""Settings: defaults, environment names, and the readable error for missing or bad values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-abcdefghijkl")
    settings = load_settings()
    assert settings.image_api == "responses"
    assert settings.image_model == "gpt-image-2"
    assert settings.max_images == 5
    assert settings.prompt_max_chars == 1000
    assert settings.port == 3000
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.openai_base_url == "https://api.openai.com/v1"
    assert not settings.socket_mode


def test_env_names_are_upper_case_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-abc")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-abcdefghijkl")
    monkeypatch.setenv("IMAGE_API", "images")
    monkeypatch.setenv("MAX_IMAGES", "3")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("PORT", "8080")
    settings = load_settings()
    assert settings.socket_mode  # no signing secret needed in Socket Mode
    assert (settings.image_api, settings.max_images, settings.log_level, settings.port) == (
        "images",
        3,
        "DEBUG",
        8080,
    )


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-from-dotenv\nSLACK_SIGNING_SECRET=s\nOPENAI_API_KEY=sk-dotenvdotenv\n"
    )
    assert load_settings().slack_bot_token.get_secret_value() == "xoxb-from-dotenv"


def test_every_missing_variable_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = "\n".join(info.value.problems)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "OPENAI_API_KEY"):
        assert f"{name} is missing" in text
    assert "OAuth & Permissions" in text  # says what the token is for


def test_malformed_values_are_explained_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-user-token-secret")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-abcdefghijkl")
    monkeypatch.setenv("MAX_IMAGES", "50")
    monkeypatch.setenv("DEFAULT_SIZE", "huge")
    monkeypatch.setenv("IMAGE_API", "dalle")
    monkeypatch.setenv("SLIDE_FRAME", "no placeholder here")
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = "\n".join(info.value.problems)
    assert "SLACK_BOT_TOKEN is invalid" in text and "xoxb-" in text
    assert "MAX_IMAGES is invalid" in text
    assert "DEFAULT_SIZE is invalid" in text
    assert "IMAGE_API is invalid" in text
    assert "SLIDE_FRAME is invalid: must contain {prompt}" in text
    assert "xoxp-user-token-secret" not in text


def test_model_capabilities_check_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-abcdefghijkl")
    monkeypatch.setenv("IMAGE_MODEL", "dall-e-3")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://gateway.example/v1")  # DALL·E: compat only
    with pytest.raises(ConfigError) as info:
        load_settings()  # dall-e-3 has no Responses tool
    assert "IMAGE_API=responses" in str(info.value)
    monkeypatch.setenv("IMAGE_API", "images")
    monkeypatch.setenv("DEFAULT_QUALITY", "high")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "DEFAULT_QUALITY is invalid" in str(info.value)
    monkeypatch.setenv("DEFAULT_QUALITY", "hd")
    assert load_settings().default_quality == "hd"


def test_python_m_bot_exits_2_with_readable_message(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is missing" in result.stderr
    assert "OPENAI_API_KEY is missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_secrets_for_redaction_include_the_database_password(make_settings) -> None:
    settings = make_settings(database_url="postgresql+asyncpg://imagine:hunter2pw@db:5432/imagine")
    assert "hunter2pw" in settings.secrets()
    assert settings.slack_bot_token.get_secret_value() in settings.secrets()
