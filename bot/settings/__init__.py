"""Typed configuration for Imagine, read from the environment and an optional ``.env`` file.

``Settings`` is built once, in ``bot.__main__``, and passed to whatever needs it; nothing in the
package reads ``os.environ`` at import time. Its fields are declared by concern in a chain of
classes (:mod:`bot.settings.slack` -> :mod:`bot.settings.openai` -> :mod:`bot.settings.content`
-> :class:`Settings`), so validators that read earlier fields (``info.data``) see them first.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot import messages
from bot.capabilities import capabilities_for, shut_down
from bot.errors import ConfigError
from bot.settings.content import (
    CHANNEL_ID,
    DEFAULT_BRAND_FRAME,
    DEFAULT_SLIDE_FRAME,
    ContentSettings,
)
from bot.settings.slack import DEFAULT_BOT_SCOPES


class Settings(ContentSettings):
    """Every setting of the app; the environment name of a field is its name in upper case.

    Raises ``pydantic.ValidationError`` when built directly with bad values; use
    :func:`load_settings` for the readable :class:`bot.errors.ConfigError` instead.
    """

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


__all__ = [
    "CHANNEL_ID",
    "DEFAULT_BOT_SCOPES",
    "DEFAULT_BRAND_FRAME",
    "DEFAULT_SLIDE_FRAME",
    "Settings",
    "is_openai_api",
    "load_settings",
    "shut_down_models",
]
