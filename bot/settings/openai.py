"""OpenAI settings: endpoint, model, defaults, timeouts and retries; jobs, pacing and fairness
(issue #10). Part of :class:`bot.settings.Settings`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.capabilities import capabilities_for, check_quality
from bot.errors import UserInputError
from bot.settings.slack import SlackSettings, http_url


class OpenAISettings(SlackSettings):
    """The OpenAI and job fields of :class:`bot.settings.Settings`."""

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
    def _api_suits_model(self) -> OpenAISettings:
        caps = capabilities_for(self.image_model)
        if self.image_api == "responses" and not caps.responses_tool:
            raise ValueError(
                f"IMAGE_MODEL={caps.name} cannot be used with IMAGE_API=responses; "
                "use a GPT Image model or set IMAGE_API=images"
            )
        return self

    @field_validator("openai_base_url")
    @classmethod
    def _openai_url_is_http(cls, value: str) -> str:
        return http_url(value)
