"""OAuth mode's settings and manifest (issue #11): which mode, what is missing, the scopes and
the redirect URL in step with manifest.yml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.errors import ConfigError
from bot.oauth.flow import REDIRECT_PATH, authorize_url_for
from bot.settings import DEFAULT_BOT_SCOPES, load_settings

ROOT = Path(__file__).resolve().parents[1]
BASE = {"slack_signing_secret": "s", "openai_api_key": "sk-abcdefghijkl", "_env_file": None}


def test_client_id_and_secret_without_bot_token_is_oauth_mode() -> None:
    settings = load_settings(slack_client_id="1.2", slack_client_secret="shh-secret", **BASE)
    assert settings.oauth and settings.slack_bot_token is None
    assert settings.slack_scopes == list(DEFAULT_BOT_SCOPES)
    assert "shh-secret" in settings.secrets()  # redacted from logs


def test_bot_token_alone_is_single_workspace_mode() -> None:
    assert not load_settings(slack_bot_token="xoxb-1-2", **BASE).oauth


def test_both_modes_at_once_say_which_to_remove() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(
            slack_bot_token="xoxb-1-2", slack_client_id="1.2", slack_client_secret="x", **BASE
        )
    [problem] = info.value.problems
    assert problem.startswith("SLACK_BOT_TOKEN is invalid")
    assert "remove SLACK_BOT_TOKEN" in problem and "remove SLACK_CLIENT_ID" in problem
    assert "xoxb-1-2" not in problem


def test_a_client_id_needs_its_secret() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(slack_client_id="1.2", **BASE)
    assert info.value.problems == [
        "SLACK_CLIENT_SECRET is missing: the app's Client Secret (Basic Information > App "
        "Credentials), for OAuth; OAuth needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET."
    ]


def test_no_slack_credentials_name_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(**BASE)
    [problem] = info.value.problems
    assert problem.startswith("SLACK_BOT_TOKEN is missing")
    assert "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET" in problem


def test_scopes_and_redirect_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "1.2")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "x")
    monkeypatch.setenv("SLACK_SCOPES", "commands, chat:write")
    monkeypatch.setenv("SLACK_REDIRECT_URI", "https://imagine.example.com/slack/oauth_redirect")
    settings = load_settings(slack_signing_secret="s", openai_api_key="sk-abcdefghijkl")
    assert settings.slack_scopes == ["commands", "chat:write"]
    assert settings.slack_redirect_uri == "https://imagine.example.com/slack/oauth_redirect"
    monkeypatch.setenv("SLACK_SCOPES", " , ")
    with pytest.raises(ConfigError, match="SLACK_SCOPES is invalid"):
        load_settings(slack_signing_secret="s", openai_api_key="sk-abcdefghijkl")


def test_default_scopes_redirect_and_events_match_the_manifest() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert manifest["oauth_config"]["scopes"]["bot"] == list(DEFAULT_BOT_SCOPES)
    [redirect] = manifest["oauth_config"]["redirect_urls"]
    assert redirect.endswith(REDIRECT_PATH)
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(events)


@pytest.mark.parametrize(
    ("api", "page"),
    [
        ("https://slack.com/api/", "https://slack.com/oauth/v2/authorize"),
        ("https://slack-gov.com/api", "https://slack-gov.com/oauth/v2/authorize"),
        ("http://127.0.0.1:8010/api/", "http://127.0.0.1:8010/oauth/v2/authorize"),
    ],
)
def test_the_authorization_page_sits_beside_the_web_api(api: str, page: str) -> None:
    assert authorize_url_for(api) == page
