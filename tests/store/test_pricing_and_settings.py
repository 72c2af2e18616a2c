"""The price table (one place, overridable) and the store's settings."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.errors import ConfigError
from bot.settings import Settings, load_settings
from bot.store import PriceTable
from bot.store.pricing import FALLBACK_MODEL, area_factor, usd_to_micro


def test_platform_prices_for_gpt_image_1_mini() -> None:
    prices = PriceTable.default()
    assert prices.per_image_usd("gpt-image-1-mini", "low", "1024x1024") == 0.005
    assert prices.per_image_usd("gpt-image-1-mini", "medium", "1024x1024") == 0.011
    assert prices.per_image_usd("gpt-image-1-mini", "high", "1024x1024") == 0.036


def test_sizes_scale_by_pixel_area_and_auto_is_priced_high() -> None:
    prices = PriceTable.default()
    assert area_factor("1536x1024") == 1.5
    assert area_factor("auto") == 1.5
    assert area_factor("3840x2160") == pytest.approx(7.91, abs=0.01)
    assert prices.per_image_usd("gpt-image-1-mini", "auto", "1024x1024") == 0.036
    assert prices.estimate_micro("gpt-image-1-mini", "low", "1024x1536", 2) == 15_000
    assert prices.per_image_usd("dall-e-3", "hd", "1024x1024") == 0.08


def test_unknown_models_are_priced_like_the_fallback() -> None:
    prices = PriceTable.default()
    assert prices.per_image_usd("my-gateway-model", "low", "1024x1024") == (
        prices.per_image_usd(FALLBACK_MODEL, "low", "1024x1024")
    )


def test_prices_json_is_merged_over_the_table() -> None:
    prices = PriceTable.from_json('{"gpt-image-2": {"high": 0.2}, "house-model": {"low": 0.001}}')
    assert prices.per_image_usd("gpt-image-2", "high", "1024x1024") == 0.2
    low = PriceTable.default().per_image_usd("gpt-image-2", "low", "1024x1024")
    assert prices.per_image_usd("gpt-image-2", "low", "1024x1024") == low  # kept
    assert prices.per_image_usd("house-model", "low", "1024x1024") == 0.001
    assert PriceTable.from_json(None) == PriceTable.default()
    assert PriceTable.from_json("  ") == PriceTable.default()


@pytest.mark.parametrize(
    "text",
    ["{", "[1]", '{"gpt-image-2": 3}', '{"gpt-image-2": {"low": -1}}', '{"m": {"low": "x"}}'],
)
def test_bad_prices_json_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match="PRICES_JSON is invalid"):
        PriceTable.from_json(text)


def test_micro_dollars_round_half_up() -> None:
    assert usd_to_micro(0.0000005) == 1
    assert usd_to_micro(0.011 * 3) == 33_000


def test_store_settings_default_to_off(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    assert settings.database_url is None
    assert settings.user_daily_image_limit is None
    assert settings.monthly_budget_usd is None
    assert settings.admin_user_ids == []
    assert settings.prices_json is None


def test_store_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://imagine:pw@db/imagine")
    monkeypatch.setenv("USER_DAILY_IMAGE_LIMIT", "20")
    monkeypatch.setenv("MONTHLY_BUDGET_USD", "150.5")
    monkeypatch.setenv("ADMIN_USER_IDS", " U111, U222 ,,")
    monkeypatch.setenv("PRICES_JSON", '{"gpt-image-2": {"high": 0.2}}')
    settings = load_settings(_env_file=None)
    assert settings.database_url == "postgresql+asyncpg://imagine:pw@db/imagine"
    assert settings.user_daily_image_limit == 20
    assert settings.monthly_budget_usd == 150.5
    assert settings.admin_user_ids == ["U111", "U222"]
    assert settings.prices_json == '{"gpt-image-2": {"high": 0.2}}'


def test_blank_store_settings_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "OPENAI_API_KEY"):
        monkeypatch.setenv(name, "xoxb-1" if name == "SLACK_BOT_TOKEN" else "x")
    for name in ("DATABASE_URL", "USER_DAILY_IMAGE_LIMIT", "MONTHLY_BUDGET_USD", "ADMIN_USER_IDS"):
        monkeypatch.setenv(name, "")
    settings = load_settings(_env_file=None)
    assert (settings.database_url, settings.user_daily_image_limit) == (None, None)
    assert (settings.monthly_budget_usd, settings.admin_user_ids) == (None, [])


def test_bad_store_settings_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "OPENAI_API_KEY"):
        monkeypatch.setenv(name, "xoxb-1" if name == "SLACK_BOT_TOKEN" else "x")
    monkeypatch.setenv("USER_DAILY_IMAGE_LIMIT", "-1")
    monkeypatch.setenv("MONTHLY_BUDGET_USD", "lots")
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None)
    assert any(p.startswith("USER_DAILY_IMAGE_LIMIT is invalid") for p in error.value.problems)
    assert any(p.startswith("MONTHLY_BUDGET_USD is invalid") for p in error.value.problems)
