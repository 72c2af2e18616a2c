"""Slack settings: the single-workspace token or OAuth distribution (issue #11), Socket Mode,
the signing secret and the Web API URL. Part of :class:`bot.settings.Settings`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The manifest's bot scopes (manifest.yml, oauth_config.scopes.bot), asked for at installation in
# OAuth mode unless SLACK_SCOPES says otherwise; tests/test_oauth_settings.py keeps them equal.
DEFAULT_BOT_SCOPES = (
    "commands",
    "chat:write",
    "files:write",
    "channels:join",
    "app_mentions:read",
    "reactions:write",
    "users:read",
    "files:read",
    "im:history",
)


def http_url(value: str) -> str:
    """``value`` if it is an http(s) URL; raises ``ValueError`` otherwise (a settings error)."""
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return value


class SlackSettings(BaseSettings):
    """The Slack fields of :class:`bot.settings.Settings` (environment name: upper case)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # --- Distribution: OAuth installs in many workspaces (issue #11) -------------------------
    slack_client_id: str | None = Field(
        default=None,
        description="the app's Client ID (Basic Information > App Credentials); with "
        "SLACK_CLIENT_SECRET, Imagine installs with Add to Slack in any number of workspaces",
    )
    slack_client_secret: SecretStr | None = Field(
        default=None,
        validate_default=True,
        description="the app's Client Secret (Basic Information > App Credentials), for OAuth",
    )
    slack_scopes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_BOT_SCOPES),
        description="bot scopes asked for at installation, comma-separated (default: the "
        "manifest's)",
    )
    slack_redirect_uri: str | None = Field(
        default=None,
        description="the OAuth redirect URL (https://your-host/slack/oauth_redirect); unset: the "
        "first of the manifest's oauth_config.redirect_urls",
    )
    slack_state_expiration_s: int = Field(
        default=600, ge=60, le=86400, description="how long an Add to Slack link stays valid"
    )

    @field_validator("slack_client_id", "slack_redirect_uri", mode="before")
    @classmethod
    def _blank_text_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_client_secret", "slack_bot_token", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("slack_scopes", mode="before")
    @classmethod
    def _comma_separated_scopes(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list) and not value:
            raise ValueError("name at least one bot scope, e.g. commands,chat:write")
        return value

    @field_validator("slack_redirect_uri")
    @classmethod
    def _redirect_is_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an https:// URL ending in /slack/oauth_redirect")
        return value

    @field_validator("slack_client_secret")
    @classmethod
    def _client_id_and_secret_together(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if "slack_client_id" not in info.data:
            return value  # the id itself was invalid, and is reported
        has_id = info.data["slack_client_id"] is not None
        if has_id and value is None:
            raise PydanticCustomError(
                "missing", "OAuth needs both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"
            )
        if value is not None and not has_id:
            raise ValueError("set without SLACK_CLIENT_ID; OAuth needs the client id and secret")
        return value

    @property
    def oauth(self) -> bool:
        """True in OAuth mode (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set, no SLACK_BOT_TOKEN):
        each workspace installs with Add to Slack and is served with its own bot token."""
        return self.slack_bot_token is None and self.slack_client_id is not None

    # --- Slack -------------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(
        default=None,
        validate_default=True,
        description="the bot token (xoxb-…) from your Slack app's OAuth & Permissions page, to "
        "serve that one workspace",
    )
    slack_app_token: SecretStr | None = Field(
        default=None,
        description="an app-level token (xapp-…) with connections:write; set it to use Socket Mode",
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validate_default=True,
        description="the signing secret from Basic Information > App Credentials (HTTP mode)",
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/", description="Slack Web API base URL (GovSlack, tests)"
    )

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        oauth_set = [
            name.upper()
            for name in ("slack_client_id", "slack_client_secret")
            if info.data.get(name) is not None
        ]
        if value is not None and oauth_set:
            raise ValueError(
                f"set together with {' and '.join(oauth_set)}: remove SLACK_BOT_TOKEN to install "
                "Imagine in many workspaces (OAuth), or remove SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET to serve the one workspace of this token"
            )
        if value is None and not oauth_set and "slack_client_id" in info.data:
            raise PydanticCustomError(
                "missing",
                "or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install Imagine in many "
                "workspaces (OAuth)",
            )
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            return None
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("slack_signing_secret")
    @classmethod
    def _signing_secret_in_http_mode(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            value = None
        app_token_valid_and_unset = (
            "slack_app_token" in info.data and info.data["slack_app_token"] is None
        )
        if value is None and app_token_valid_and_unset:
            raise PydanticCustomError(
                "missing", "required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)"
            )
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return http_url(value)
