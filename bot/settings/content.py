"""Settings of what is generated and kept: presets, store and quotas, conversations, input
images and per-workspace defaults. Part of :class:`bot.settings.Settings`.
"""

from __future__ import annotations

import json
import re
from typing import Annotated

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import NoDecode

from bot.capabilities import capabilities_for, resolve_size
from bot.errors import UserInputError
from bot.settings.openai import OpenAISettings

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


class ContentSettings(OpenAISettings):
    """The preset, store, conversation and workspace fields of :class:`bot.settings.Settings`."""

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
