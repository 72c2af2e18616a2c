"""The installation and OAuth state stores (OAuth mode) on SQLite and PostgreSQL: slack_sdk's
save and lookups, the workspace a job is delivered to, forgetting a workspace or an org, and a
state accepted once even when two requests race on it. Also :class:`bot.clients.SlackClients`
over the store."""

from __future__ import annotations

import asyncio
import time

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients import SlackClients
from bot.errors import NotInstalledError
from bot.store import InstallationStore, OAuthStateStore, Store

CLIENT_ID = "111.222"


def installation(
    team_id: str | None,
    token: str,
    *,
    enterprise_id: str | None = None,
    org_wide: bool = False,
    user_id: str = "UADMIN",
    installed_at: float | None = None,
) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=enterprise_id,
        team_id=team_id,
        team_name=f"{team_id} name" if team_id else None,
        bot_token=token,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="commands,chat:write",
        user_id=user_id,
        is_enterprise_install=org_wide,
        installed_at=installed_at,
    )


@pytest.fixture
def installations(store: Store) -> InstallationStore:
    return InstallationStore(CLIENT_ID, store.engine)


async def test_saved_installations_are_found_by_bolt_and_for_jobs(
    installations: InstallationStore,
) -> None:
    await installations.async_save(installation("T2", "xoxb-T2-old", installed_at=time.time() - 60))
    await installations.async_save(installation("T2", "xoxb-T2-new"))
    await installations.async_save(installation("T3", "xoxb-T3", enterprise_id="E1"))
    await installations.async_save(
        installation(None, "xoxb-E9-org", enterprise_id="E9", org_wide=True)
    )

    found = await installations.async_find_installation(enterprise_id=None, team_id="T2")
    assert found is not None and found.bot_token == "xoxb-T2-new"  # the newest wins
    bot = await installations.async_find_bot(enterprise_id="E1", team_id="T3")
    assert bot is not None and bot.bot_token == "xoxb-T3"
    org = await installations.async_find_installation(
        enterprise_id="E9", team_id="T77", is_enterprise_install=True
    )
    assert org is not None and org.bot_token == "xoxb-E9-org"

    assert (await installations.for_team("T2")).bot_token == "xoxb-T2-new"  # type: ignore[union-attr]
    # a workspace of an org: its own install (even without the org id), else the org's
    assert (await installations.for_team("T3")).bot_token == "xoxb-T3"  # type: ignore[union-attr]
    assert (await installations.for_team("T77", "E9")).bot_token == "xoxb-E9-org"  # type: ignore[union-attr]
    assert await installations.for_team("T77") is None
    assert await installations.for_team("T99", "E1") is None


async def test_forget_a_workspace_or_an_org(installations: InstallationStore) -> None:
    await installations.async_save(installation("T2", "xoxb-T2"))
    await installations.async_save(installation("T3", "xoxb-T3", enterprise_id="E1"))
    await installations.async_save(
        installation(None, "xoxb-E1-org", enterprise_id="E1", org_wide=True)
    )
    # a workspace uninstall without its org id still finds its rows
    assert (
        await installations.forget(enterprise_id=None, team_id="T3", is_enterprise_install=False)
        == 1
    )
    assert await installations.for_team("T3") is None
    assert (await installations.for_team("T3", "E1")).bot_token == "xoxb-E1-org"  # type: ignore[union-attr]
    # the org uninstalls: team id absent
    assert (
        await installations.forget(enterprise_id="E1", team_id=None, is_enterprise_install=True)
        == 1
    )
    assert await installations.for_team("T3", "E1") is None
    assert (
        await installations.async_find_bot(
            enterprise_id="E1", team_id=None, is_enterprise_install=True
        )
        is None
    )
    assert (await installations.for_team("T2")).bot_token == "xoxb-T2"  # type: ignore[union-attr]


async def test_tables_come_from_the_migration_only(installations: InstallationStore) -> None:
    with pytest.raises(NotImplementedError):
        await installations.create_tables()


async def test_a_state_is_accepted_once_even_when_raced(store: Store) -> None:
    states = OAuthStateStore(600, store.engine)
    state = await states.async_issue()
    results = await asyncio.gather(*(states.async_consume(state) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert await states.async_consume(state) is False
    assert await states.async_consume("never-issued") is False
    assert await states.async_consume("") is False


async def test_an_expired_state_is_refused(store: Store) -> None:
    states = OAuthStateStore(600, store.engine)
    states.expiration_seconds = -1  # issued already expired
    state = await states.async_issue()
    assert await states.async_consume(state) is False


async def test_clients_per_workspace_cached_and_forgotten(installations: InstallationStore) -> None:
    base = AsyncWebClient(base_url="http://127.0.0.1:9/api/")
    clients = SlackClients(base, installations, ttl_s=60)
    await installations.async_save(installation("T2", "xoxb-T2"))
    client = await clients.for_team("T2")
    assert client.token == "xoxb-T2" and client.base_url == base.base_url
    assert await clients.for_team("T2") is client  # cached
    await installations.forget(enterprise_id=None, team_id="T2", is_enterprise_install=False)
    assert await clients.for_team("T2") is client  # until forgotten or stale
    clients.forget("T2")
    with pytest.raises(NotInstalledError):
        await clients.for_team("T2")
    single = SlackClients(base)
    assert await single.for_team("T-anything") is base  # single-workspace mode
