"""The Settings modal's fields: every inline error, the values saved, the view Slack accepts, and
stored values checked again when read (issue #11)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.settings import Settings
from bot.workspace import fields
from bot.workspace.modal import build_settings_modal, read_settings
from tests.fakes.slack_users import element_problems
from tests.workspace_support import settings_values


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


def test_a_valid_submission_gives_canonical_values(settings: Settings) -> None:
    values, errors = read_settings(
        settings_values(
            brand_guide="  Navy and coral.  ",
            size="1536x1024",
            quality="high",
            limit="20",
            budget="12.345",
            channels=["C1", "G2", "C1"],
        ),
        settings,
    )
    assert errors == {}
    assert values == {
        "brand_guide": "Navy and coral.",
        "default_size": "1536x1024",
        "default_quality": "high",
        "user_daily_image_limit": 20,
        "monthly_budget_usd": 12.35,
        "allowed_channel_ids": ["C1", "G2"],
    }


def test_empty_fields_mean_no_limit_no_budget_every_channel(settings: Settings) -> None:
    values, errors = read_settings(settings_values(limit=None, budget="", channels=[]), settings)
    assert errors == {}
    assert values["user_daily_image_limit"] is None
    assert values["monthly_budget_usd"] is None
    assert values["allowed_channel_ids"] == []
    assert values["brand_guide"] == ""


def test_a_custom_size_replaces_the_choice(settings: Settings) -> None:
    values, errors = read_settings(settings_values(size="auto", custom_size="1536x864"), settings)
    assert errors == {}
    assert values["default_size"] == "1536x864"


@pytest.mark.parametrize(
    ("values", "block", "text"),
    [
        ({"brand_guide": "x" * 2001}, "brand_guide", "The brand guide is 2,001 characters"),
        ({"custom_size": "1000x1000"}, "custom_size", "multiples of 16"),
        ({"custom_size": "4000x1024"}, "custom_size", "aspect ratio"),
        ({"custom_size": "big"}, "custom_size", "`big` is not a size"),
        ({"size": "999x999"}, "default_size", "999x999 does not work"),  # forged option
        ({"size": None}, "default_size", "Choose a default size."),
        ({"quality": "hd"}, "default_quality", "gpt-image-2 does not offer quality `hd`"),
        ({"quality": None}, "default_quality", "Choose a default quality."),
        ({"limit": "-1"}, "user_daily_image_limit", "a whole number from 0 to 100,000"),
        ({"limit": "2.5"}, "user_daily_image_limit", "a whole number from 0 to 100,000"),
        ({"limit": "100001"}, "user_daily_image_limit", "a whole number"),
        ({"limit": "ten"}, "user_daily_image_limit", "a whole number"),
        ({"budget": "-0.01"}, "monthly_budget_usd", "an amount in USD from 0 to 1,000,000"),
        ({"budget": "nan"}, "monthly_budget_usd", "an amount in USD"),
        ({"budget": "1e9"}, "monthly_budget_usd", "an amount in USD"),
        ({"budget": "lots"}, "monthly_budget_usd", "an amount in USD"),
        ({"channels": ["D123"]}, "allowed_channel_ids", "public or private channels only"),
        ({"channels": ["general"]}, "allowed_channel_ids", "public or private channels only"),
        (
            {"channels": [f"C{i:04d}" for i in range(101)]},
            "allowed_channel_ids",
            "Pick at most 100 channels (101 chosen).",
        ),
    ],
)
def test_every_inline_error(
    settings: Settings, values: dict[str, Any], block: str, text: str
) -> None:
    _, errors = read_settings(settings_values(**values), settings)
    assert list(errors) == [block]
    assert text in errors[block]


def test_several_errors_at_once(settings: Settings) -> None:
    _, errors = read_settings(settings_values(limit="-3", budget="-1", quality="x"), settings)
    assert set(errors) == {"user_daily_image_limit", "monthly_budget_usd", "default_quality"}


def test_sizes_suit_the_model(make_settings: Callable[..., Settings]) -> None:
    older = make_settings(image_model="gpt-image-1.5")
    _, errors = read_settings(settings_values(size="1536x864"), older)
    assert "gpt-image-1.5 cannot make 1536x864" in errors["default_size"]
    view = build_settings_modal(older).to_dict()
    assert "custom_size" not in [b.get("block_id") for b in view["blocks"]]


def test_stored_values_the_model_no_longer_takes_are_ignored(
    make_settings: Callable[..., Settings],
) -> None:
    base = make_settings(image_model="gpt-image-1.5", default_size="square")
    applied = fields.apply(
        base,
        {"default_size": "1536x864", "user_daily_image_limit": 3, "unknown": 1},
        {"brand_guide": "Teal."},
    )
    assert applied.default_size == "square"  # the environment's
    assert (applied.user_daily_image_limit, applied.brand_guide) == (3, "Teal.")
    assert fields.apply(base) is base


def test_the_modal_shows_current_values_within_slacks_limits(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(
        brand_guide="Navy.",
        default_size="1536x864",
        default_quality="high",
        user_daily_image_limit=7,
        monthly_budget_usd=25.5,
        allowed_channel_ids="C1,C2",
    )
    view = build_settings_modal(settings).to_dict()
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["brand_guide"]["element"]["initial_value"] == "Navy."
    assert blocks["default_size"]["element"]["initial_option"]["value"] == "1536x864"
    assert blocks["default_quality"]["element"]["initial_option"]["value"] == "high"
    assert blocks["user_daily_image_limit"]["element"]["initial_value"] == "7"
    assert blocks["monthly_budget_usd"]["element"]["initial_value"] == "25.5"
    channels = blocks["allowed_channel_ids"]["element"]
    assert channels["type"] == "multi_conversations_select"
    assert channels["initial_conversations"] == ["C1", "C2"]
    assert view["callback_id"] == "imagine_settings"
    assert [
        p
        for i, b in enumerate(view["blocks"])
        for p in element_problems(b.get("element", {}), f"/{i}")
    ] == []
    # What Slack sends back for an unchanged modal reads as the same values.
    values, errors = read_settings(
        settings_values(
            brand_guide="Navy.",
            size="1536x864",
            quality="high",
            limit="7",
            budget="25.5",
            channels=["C1", "C2"],
        ),
        settings,
    )
    assert errors == {}
    assert fields.changes(settings, values) == {}


def test_changes_name_old_and_new_values(settings: Settings) -> None:
    assert fields.changes(settings, {"user_daily_image_limit": 5, "brand_guide": ""}) == {
        "user_daily_image_limit": (None, 5)
    }


def test_direct_messages_are_always_allowed(make_settings: Callable[..., Settings]) -> None:
    limited = make_settings(allowed_channel_ids="C1")
    assert fields.channel_allowed(limited, "C1")
    assert not fields.channel_allowed(limited, "C2")
    assert fields.channel_allowed(limited, "D42")
    assert fields.channel_allowed(make_settings(), "C2")


def test_long_values_are_shortened_for_the_home_tab() -> None:
    channels = [f"C{i:09d}" for i in range(100)]
    shown = fields.shown("allowed_channel_ids", channels)
    assert shown.startswith("<#C000000000>, <#C000000001>") and shown.endswith("and 90 others")
    assert fields.shown("brand_guide", "x" * 500) == "“" + "x" * 59 + "…”"
    assert fields.shown("monthly_budget_usd", None) == "no budget"
    assert fields.shown("user_daily_image_limit", 1) == "1 image"


def test_environment_names_and_their_sizes_are_no_change(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(default_size="square")
    view = build_settings_modal(settings).to_dict()
    size = next(b for b in view["blocks"] if b.get("block_id") == "default_size")
    assert size["element"]["initial_option"]["value"] == "1024x1024"
    assert fields.changes(settings, {"default_size": "1024x1024"}) == {}
    assert fields.changes(settings, {"default_size": "1536x1024"}) == {
        "default_size": ("square", "1536x1024")
    }
    dalle = make_settings(image_model="dall-e-3", image_api="images", default_quality="auto")
    quality = next(
        b
        for b in build_settings_modal(dalle).to_dict()["blocks"]
        if b.get("block_id") == "default_quality"
    )
    assert quality["element"]["initial_option"]["value"] == "standard"
