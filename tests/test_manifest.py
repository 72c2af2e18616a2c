"""manifest.yml: valid against Slack's manifest schema and in step with the code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from bot.listeners.commands import COMMAND
from bot.listeners.shortcuts.message_shortcuts import BRAND_CALLBACK_ID, SLIDE_CALLBACK_ID

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = Path(__file__).with_name("specs") / "slack-app-manifest.schema.v1.json"


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_validates_against_slacks_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(manifest())
    ]
    assert errors == []


def test_schema_validation_would_catch_a_bad_manifest() -> None:
    schema = json.loads(SCHEMA.read_text())
    bad = manifest()
    bad["features"]["shortcuts"][0]["name"] = "A shortcut name far too long for Slack"
    assert list(jsonschema.Draft7Validator(schema).iter_errors(bad))


def test_manifest_declares_what_the_code_uses() -> None:
    data = manifest()
    [command] = data["features"]["slash_commands"]
    assert (
        command["command"] == COMMAND and command["usage_hint"] and command["should_escape"] is True
    )
    shortcuts = {s["callback_id"]: s for s in data["features"]["shortcuts"]}
    assert set(shortcuts) >= {SLIDE_CALLBACK_ID, BRAND_CALLBACK_ID}
    assert shortcuts[SLIDE_CALLBACK_ID]["name"] == "Imagine a slide"
    assert shortcuts[BRAND_CALLBACK_ID]["name"] == "Imagine a brand asset"
    assert all(s["type"] == "message" for s in shortcuts.values())
    scopes = set(data["oauth_config"]["scopes"]["bot"])
    assert scopes >= {
        "commands",
        "chat:write",
        "files:write",
        "channels:join",
        "app_mentions:read",
        "reactions:write",
        "users:read",  # admins and owners from users.info (issue #11)
    }
    assert "app_mention" in data["settings"]["event_subscriptions"]["bot_events"]
    assert data["settings"]["interactivity"]["is_enabled"] is True
    urls = {
        command["url"],
        data["settings"]["interactivity"]["request_url"],
        data["settings"]["event_subscriptions"]["request_url"],
    }
    assert urls == {"https://imagine.example.com/slack/events"}  # placeholders the README explains


def test_procfile_runs_the_app() -> None:
    assert (ROOT / "Procfile").read_text().strip() == "web: python -m bot"
