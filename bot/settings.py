"""Typed configuration for Imagine, read from the environment and an optional ``.env`` file.

``Settings`` is built once, in ``bot.__main__``, and passed to whatever needs it; nothing in the
package reads ``os.environ`` at import time.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import UTC, date, datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot import messages
from bot.capabilities import capabilities_for, check_quality, resolve_size, shut_down
from bot.errors import ConfigError, UserInputError

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

CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{1,31}")  # public (C…) and private (G… on old workspaces)
DEFAULT_SLIDE_FRAME = (
    "A clean, presentation-ready illustration for a slide. Leave calm, uncluttered space for a "
    "title. Do not draw any text, letters or logos in the image unless the text is in quotes "
    "below. Subject, in the requester's own words: {prompt}"
)
DEFAULT_BRAND_FRAME = (
    "A polished brand asset for a marketing campaign, consistent with the brand guide. "
    "{brand_guide}Subject, in the requester's own words: {prompt}"
)


class Settings(BaseSettings):
    """Every setting of the app; the environment name of a field is its name in upper case.

    Raises ``pydantic.ValidationError`` when built directly with bad values; use
    :func:`load_settings` for the readable :class:`bot.errors.ConfigError` instead.
    """

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

    # --- OpenAI ------------------------------------------------------------------------------
    openai_api_key: SecretStr = Field(description="the OpenAI API key (sk-…) that pays for images")
    openai_base_url: str = Field(
        default="https://api.openai.com/v1", description="OpenAI API base URL (gateways, tests)"
    )
    image_api: Literal["responses", "images"] = Field(
        default="responses",
        description="'responses' (image generation tool, gives a revised prompt) or 'images'",
    )
    image_model: str = Field(default="gpt-image-2", description="the image model")
    responses_model: str = Field(
        default="gpt-4.1-mini",
        description="the mainline model that calls the image generation tool (IMAGE_API=responses)",
    )
    default_size: str = Field(default="auto", description="size when the user gives none")
    default_quality: str = Field(default="auto", description="quality when the user gives none")
    moderation: Literal["auto", "low"] = Field(
        default="auto", description="OpenAI moderation level for GPT Image models"
    )
    openai_timeout_s: float = Field(
        default=120.0, gt=0, description="seconds one OpenAI request may take"
    )
    openai_connect_timeout_s: float = Field(
        default=10.0, gt=0, description="seconds to open a connection to OpenAI"
    )
    openai_max_retries: int = Field(
        default=2, ge=0, le=10, description="retries of one OpenAI call (429, 408, 409, 5xx)"
    )
    openai_max_backoff_s: float = Field(
        default=8.0, gt=0, description="longest wait between two OpenAI retries, in seconds"
    )
    max_image_download_bytes: int = Field(
        default=50_000_000, gt=0, description="largest image downloaded from a URL answer"
    )

    # --- Requests and jobs -------------------------------------------------------------------
    max_images: int = Field(default=5, ge=1, le=10, description="most images per request")
    prompt_max_chars: int = Field(default=1000, ge=1, le=32000, description="longest prompt")
    max_concurrent_jobs: int = Field(default=20, ge=1, description="jobs generating at once")
    max_queued_jobs: int = Field(default=500, ge=0, description="jobs waiting for a slot")
    max_payloads_in_memory: int = Field(
        default=6, ge=1, description="jobs holding image bytes (decode and upload) at once"
    )
    job_timeout_s: float = Field(default=300.0, gt=0, description="deadline of one job, seconds")
    shutdown_grace_s: float = Field(
        default=25.0, ge=0, description="seconds running jobs get to finish on SIGTERM"
    )

    # --- Pacing, fairness and resume (issue #10) ----------------------------------------------
    openai_images_per_minute: int | None = Field(
        default=None,
        ge=1,
        description="the organisation's known images-per-minute limit (OpenAI tier 1: 5, tier "
        "2: 20, …); unset: learned from OpenAI's rate-limit headers",
    )
    max_wait_s: float = Field(
        default=900.0,
        gt=0,
        description="longest a request waits in all for OpenAI capacity before it is given up",
    )
    max_jobs_per_user: int = Field(
        default=2, ge=1, description="requests of one user generating at once"
    )
    resume_max_age_s: float = Field(
        default=1800.0,
        ge=0,
        description="after a restart, requests accepted at most this many seconds ago resume "
        "by themselves; older ones get the Regenerate notice",
    )

    @field_validator("openai_images_per_minute", mode="before")
    @classmethod
    def _blank_ipm_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    # --- Presets -----------------------------------------------------------------------------
    brand_guide: str = Field(
        default="", max_length=2000, description="brand guide text added to brand-asset prompts"
    )
    slide_size: str = Field(
        default="",
        description="default size of slide images; empty: 16:9 (1536x864) where the model "
        "takes custom sizes, else landscape",
    )
    brand_size: str = Field(default="square", description="default size of brand assets")
    slide_frame: str = Field(
        default=DEFAULT_SLIDE_FRAME,
        max_length=4000,
        description="the slide preset's instructions around the user's words ({prompt})",
    )
    brand_frame: str = Field(
        default=DEFAULT_BRAND_FRAME,
        max_length=4000,
        description="the brand preset's instructions around the user's words ({prompt}) and "
        "BRAND_GUIDE ({brand_guide})",
    )

    @field_validator("slide_frame", "brand_frame")
    @classmethod
    def _frame_keeps_the_prompt(cls, value: str) -> str:
        if "{prompt}" not in value:
            raise ValueError("must contain {prompt}, where the user's own words go")
        return value

    # --- Store and quotas --------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description="where history, quotas and Regenerate keys are kept: "
        "postgresql+asyncpg://user:password@host:5432/db, or sqlite+aiosqlite:///path; "
        "unset: the SQLite file imagine.db in the working directory",
    )
    user_daily_image_limit: int | None = Field(
        default=None,
        ge=0,
        description="images one user may generate per UTC day (admins exempt); unset: no limit",
    )
    monthly_budget_usd: float | None = Field(
        default=None,
        ge=0,
        description="the workspace's estimated image spend per UTC month, in USD; unset: no budget",
    )
    admin_user_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Slack user ids (U…) of the admins, comma-separated: exempt from the daily "
        "limit, and shown the workspace's usage",
    )
    prices_json: str | None = Field(
        default=None,
        description="USD per 1024x1024 image by model and quality, merged over the built-in "
        'table, e.g. {"gpt-image-2": {"low": 0.01, "medium": 0.04, "high": 0.17}}',
    )

    @field_validator(
        "database_url", "user_daily_image_limit", "monthly_budget_usd", "prices_json", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().startswith("["):
            return json.loads(value)  # a JSON list works too; bad JSON is reported as invalid
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    # --- Conversations: refine in the thread (issue #8) --------------------------------------
    conversation_retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="days a result can be refined in its thread (OpenAI keeps stored responses "
        "30 days); older conversation state is deleted by a periodic clean-up",
    )

    # --- Input images (issue #8) ----------------------------------------------------------
    max_input_image_bytes: int = Field(
        default=20_000_000,
        ge=1024,
        le=50_000_000,
        description="largest image file a user may attach as input, in bytes (OpenAI takes up "
        "to 50 MB)",
    )
    max_input_images: int = Field(
        default=4, ge=1, le=16, description="most input images per request (OpenAI takes 16)"
    )

    # --- Per-workspace settings (issue #11) ---
    # BRAND_GUIDE, DEFAULT_SIZE, DEFAULT_QUALITY, USER_DAILY_IMAGE_LIMIT, MONTHLY_BUDGET_USD and
    # ALLOWED_CHANNEL_IDS are the defaults of a workspace whose admins set nothing on the Home
    # tab (bot.workspace.fields lists what a workspace may override).
    allowed_channel_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="channel ids (C…, G…) where Imagine may be used, comma-separated; empty: "
        "every channel (direct messages with Imagine are always allowed)",
    )
    workspace_settings_cache_s: float = Field(
        default=0.0,
        ge=0,
        le=5,
        description="seconds a workspace's settings read from the database may be reused "
        "(0, the default: read for every request; reads in flight are shared)",
    )
    workspace_admin_cache_s: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="seconds a users.info answer (is the user a workspace admin?) is reused",
    )

    @field_validator("allowed_channel_ids", mode="before")
    @classmethod
    def _comma_separated_channels(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().startswith("["):
            return json.loads(value)
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_channel_ids")
    @classmethod
    def _channel_ids(cls, value: list[str]) -> list[str]:
        for channel in value:
            if not CHANNEL_ID.fullmatch(channel):
                raise ValueError(f"{channel[:40]!r} is not a channel id (C… or G…)")
        return list(dict.fromkeys(value))

    # --- Server ------------------------------------------------------------------------------
    port: int = Field(default=3000, ge=1, le=65535, description="HTTP port")
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="largest request body accepted on /slack/events"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        default="INFO", description="logging level"
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

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

    @field_validator("slack_api_url", "openai_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
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

    @field_validator("default_size", "slide_size", "brand_size")
    @classmethod
    def _size_suits_model(cls, value: str, info: ValidationInfo) -> str:
        caps = capabilities_for(info.data.get("image_model") or "gpt-image-2")
        if value:
            try:
                resolve_size(value, caps)
            except UserInputError as exc:
                raise ValueError(f"{value!r} does not suit {caps.name}: {exc.text}") from None
        return value

    @field_validator("default_quality")
    @classmethod
    def _quality_suits_model(cls, value: str, info: ValidationInfo) -> str:
        caps = capabilities_for(info.data.get("image_model") or "gpt-image-2")
        try:
            check_quality(value, caps)
        except UserInputError as exc:
            raise ValueError(exc.text) from None
        return value

    @model_validator(mode="after")
    def _api_suits_model(self) -> Settings:
        caps = capabilities_for(self.image_model)
        if self.image_api == "responses" and not caps.responses_tool:
            raise ValueError(
                f"IMAGE_MODEL={caps.name} cannot be used with IMAGE_API=responses; "
                "use a GPT Image model or set IMAGE_API=images"
            )
        return self

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set: the app connects over Socket Mode."""
        return self.slack_app_token is not None

    def secrets(self) -> list[str]:
        """The secret values set (tokens, signing secret, API key, database password), for log
        redaction."""
        fields = (
            self.slack_bot_token,
            self.slack_client_secret,
            self.slack_signing_secret,
            self.slack_app_token,
            self.openai_api_key,
        )
        values = [s.get_secret_value() for s in fields if s is not None and s.get_secret_value()]
        if self.database_url:
            with contextlib.suppress(ArgumentError, ValueError):
                password = make_url(self.database_url).password
                if password:
                    values.append(str(password))
        return values


def load_settings(*, today: date | None = None, **overrides: object) -> Settings:
    """Build :class:`Settings` from the environment (and ``.env``), plus explicit overrides,
    and check the image model against OpenAI's shutdown dates on ``today`` (default: the UTC
    date now; see :func:`shut_down_models`).

    Raises :class:`bot.errors.ConfigError` listing every missing or malformed variable with what
    it is for; the message never contains a secret value.
    """
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None
    problems = shut_down_models(settings, today or datetime.now(UTC).date())
    if problems:
        raise ConfigError(problems)
    return settings


# --- Model shutdown dates (issue #10) ------------------------------------------------------------

OPENAI_API_HOST = "api.openai.com"


def is_openai_api(base_url: str) -> bool:
    """True when ``base_url`` (OPENAI_BASE_URL) is OpenAI's own API, where a model past its
    shutdown date answers 404; any other host is an OpenAI-compatible server."""
    return (urlsplit(base_url).hostname or "").lower() == OPENAI_API_HOST


def shut_down_models(settings: Settings, today: date) -> list[str]:
    """Settings problems for an IMAGE_MODEL whose shutdown date in the capability table is
    ``today`` or earlier, when OPENAI_BASE_URL is OpenAI's API (platform.md, model table).
    With another server the dates are advisory: no problem here, a warning at start
    (:mod:`bot.openai.model_check`)."""
    caps = capabilities_for(settings.image_model)
    if not is_openai_api(settings.openai_base_url) or not shut_down(caps, today):
        return []
    assert caps.shutdown_date is not None
    return [
        messages.model_shut_down(
            "IMAGE_MODEL", settings.image_model, caps.shutdown_date, caps.replacement
        )
    ]


def _describe(exc: ValidationError) -> list[str]:
    problems: list[str] = []
    for error in exc.errors(include_input=False, include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        info = Settings.model_fields.get(field)
        env_name = field.upper()
        if error["type"] == "missing":
            what = info.description if info and info.description else "required"
            if error["msg"] != "Field required":
                what = f"{what}; {error['msg']}"
            problems.append(f"{env_name} is missing: {what}.")
        elif not field:
            problems.append(str(error["msg"]).removeprefix("Value error, ") + ".")
        else:
            msg = str(error["msg"]).removeprefix("Value error, ").rstrip(".")
            problems.append(f"{env_name} is invalid: {msg}.")
    return problems
