"""The per-workspace settings store (SQLite and PostgreSQL) and the resolver that applies it to
each request: scopes, concurrent saves, the change history, the short cache (issue #11)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from bot.settings import Settings
from bot.store import Store
from bot.store.workspace_settings import enterprise_scope, scopes_of, team_scope
from bot.workspace.resolver import SettingsResolver

NOON = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


async def test_overrides_are_kept_per_scope(store: Store) -> None:
    settings = store.workspace_settings
    assert await settings.overrides([team_scope("T1")]) == [{}]
    await settings.save(team_scope("T1"), "UA", {"user_daily_image_limit": (None, 3)}, now=NOON)
    await settings.save(enterprise_scope("E1"), "UB", {"brand_guide": ("", "Org guide")}, now=NOON)
    assert await settings.overrides(scopes_of("T1", "E1")) == [
        {"brand_guide": "Org guide"},
        {"user_daily_image_limit": 3},
    ]
    assert await settings.overrides(scopes_of("T2", None)) == [{}]


async def test_saves_of_different_fields_are_merged(store: Store) -> None:
    settings = store.workspace_settings
    scope = team_scope("T1")
    await asyncio.gather(
        settings.save(scope, "UA", {"user_daily_image_limit": (None, 5)}),
        settings.save(scope, "UB", {"monthly_budget_usd": (None, 12.5)}),
        settings.save(scope, "UC", {"allowed_channel_ids": ([], ["C1", "C2"])}),
    )
    [overrides] = await settings.overrides([scope])
    assert overrides == {
        "user_daily_image_limit": 5,
        "monthly_budget_usd": 12.5,
        "allowed_channel_ids": ["C1", "C2"],
    }
    assert await settings.save(scope, "UA", {}) is None  # nothing to record


async def test_history_is_newest_first_and_per_scope(store: Store) -> None:
    settings = store.workspace_settings
    for minute in range(7):
        when = NOON.replace(minute=minute)
        await settings.save(
            team_scope("T1"), "UA", {"user_daily_image_limit": (minute, minute + 1)}, now=when
        )
    await settings.save(team_scope("T2"), "UZ", {"brand_guide": ("", "T2 guide")}, now=NOON)
    history = await settings.history([team_scope("T1")], limit=5)
    assert [c.changes["user_daily_image_limit"] for c in history] == [
        (6, 7),
        (5, 6),
        (4, 5),
        (3, 4),
        (2, 3),
    ]
    assert {c.user_id for c in history} == {"UA"}
    assert history[0].changed_at == NOON.replace(minute=6)
    [other] = await settings.history([team_scope("T2")])
    assert other.changes == {"brand_guide": ("", "T2 guide")}


async def test_the_workspace_wins_over_its_organisation_over_the_environment(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    base = make_settings(brand_guide="Env guide", user_daily_image_limit=50, default_quality="high")
    resolver = SettingsResolver(base, store.workspace_settings, ttl_s=0)
    await store.workspace_settings.save(
        enterprise_scope("E1"),
        "UORG",
        {"brand_guide": ("Env guide", "Org guide"), "user_daily_image_limit": (50, 10)},
    )
    await store.workspace_settings.save(team_scope("T1"), "UA", {"user_daily_image_limit": (10, 2)})
    settings = await resolver.settings_for("T1", "E1")
    assert (settings.brand_guide, settings.user_daily_image_limit) == ("Org guide", 2)
    assert settings.default_quality == "high"  # nobody changed it: the environment's
    other = await resolver.settings_for("T9", "E1")  # another workspace of the organisation
    assert (other.brand_guide, other.user_daily_image_limit) == ("Org guide", 10)
    alone = await resolver.settings_for("T9")
    assert (alone.brand_guide, alone.user_daily_image_limit) == ("Env guide", 50)
    assert await resolver.settings_for(None) is base


async def test_a_change_is_read_after_the_cache_expires_and_bursts_share_one_read(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    now = [100.0]
    reads = []
    workspace_settings = store.workspace_settings
    original = workspace_settings.overrides

    async def counting(scopes: list[str]) -> list[dict]:
        reads.append(scopes)
        return await original(scopes)

    workspace_settings.overrides = counting  # type: ignore[method-assign]
    resolver = SettingsResolver(
        make_settings(), workspace_settings, ttl_s=1.0, clock=lambda: now[0]
    )
    burst = await asyncio.gather(*(resolver.settings_for("T1") for _ in range(50)))
    assert len(reads) == 1 and all(s.user_daily_image_limit is None for s in burst)

    await workspace_settings.save(team_scope("T1"), "UA", {"user_daily_image_limit": (None, 4)})
    assert (await resolver.settings_for("T1")).user_daily_image_limit is None  # cached
    now[0] += 1.01
    assert (await resolver.settings_for("T1")).user_daily_image_limit == 4
    assert len(reads) == 2
    assert (await resolver.settings_for("T1", fresh=True)).user_daily_image_limit == 4
    assert len(reads) == 3
