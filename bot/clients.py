"""Slack Web API clients for background work: each job is delivered with its own workspace's
bot token.

In single-workspace mode (``SLACK_BOT_TOKEN``) every workspace is the one, and
:meth:`SlackClients.for_team` returns the shared client. In OAuth mode it looks the workspace's
installation up (its own, or its Enterprise Grid org's org-wide one), refreshes the token first
when token rotation is on and it expires within ``rotation_minutes`` (slack_sdk's
``AsyncTokenRotator``, as Bolt's authorize does; the refreshed token is saved), and returns a
client with that token on the shared aiohttp session and retry handlers. Clients are cached for
``ttl_s`` seconds, never past their token's refresh time; :meth:`SlackClients.forget` drops a
workspace at once (uninstall, revoked token). Listeners do not need this: Bolt hands them a
``client`` that already carries the request's workspace token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import NotInstalledError
from bot.store.installations import InstallationStore

log = logging.getLogger(__name__)

CLIENT_TTL_S = 60.0
ROTATION_MINUTES = 120  # Bolt's default token_rotation_expiration_minutes


@dataclass
class _Cached:
    client: AsyncWebClient
    until: float  # time.monotonic()


class SlackClients:
    """``for_team(team_id, enterprise_id)`` -> an ``AsyncWebClient`` with that workspace's bot
    token. ``base`` is the shared client (its session, base URL, timeout and retry handlers are
    reused); ``installations`` is ``None`` in single-workspace mode."""

    def __init__(
        self,
        base: AsyncWebClient,
        installations: InstallationStore | None = None,
        rotator: AsyncTokenRotator | None = None,
        *,
        ttl_s: float = CLIENT_TTL_S,
        rotation_minutes: int = ROTATION_MINUTES,
    ) -> None:
        self._base = base
        self._installations = installations
        self._rotator = rotator
        self._ttl_s = ttl_s
        self._rotation_minutes = rotation_minutes
        self._cache: dict[tuple[str, str | None], _Cached] = {}
        self._locks: dict[tuple[str, str | None], asyncio.Lock] = {}

    @property
    def multi_workspace(self) -> bool:
        """True in OAuth mode."""
        return self._installations is not None

    async def for_team(self, team_id: str, enterprise_id: str | None = None) -> AsyncWebClient:
        """The client for workspace ``team_id`` (of org ``enterprise_id``, if any).

        Raises :class:`bot.errors.NotInstalledError` when the workspace has no installation
        (uninstalled, token revoked, or a token refresh Slack refused).
        """
        if self._installations is None:
            return self._base
        key = (team_id, enterprise_id)
        cached = self._cache.get(key)
        if cached is not None and cached.until > time.monotonic():
            return cached.client
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._cache.get(key)
            if cached is not None and cached.until > time.monotonic():
                return cached.client
            client, until = await self._load(team_id, enterprise_id)
            self._cache[key] = _Cached(client, until)
            return client

    def forget(self, team_id: str | None = None, enterprise_id: str | None = None) -> None:
        """Drop cached clients of workspace ``team_id``, or (no ``team_id``) of every workspace
        of org ``enterprise_id``."""
        for key in list(self._cache):
            if (team_id and key[0] == team_id) or (not team_id and key[1] == enterprise_id):
                del self._cache[key]

    async def _load(self, team_id: str, enterprise_id: str | None) -> tuple[AsyncWebClient, float]:
        assert self._installations is not None
        installation = await self._installations.for_team(team_id, enterprise_id)
        if installation is None or not installation.bot_token:
            raise NotInstalledError(team_id, enterprise_id)
        if installation.bot_refresh_token and self._rotator is not None:
            try:
                refreshed = await self._rotator.perform_token_rotation(
                    installation=installation, minutes_before_expiration=self._rotation_minutes
                )
            except (SlackTokenRotationError, SlackApiError) as exc:
                log.error("token refresh failed for team=%s: %s", team_id, type(exc).__name__)
                raise NotInstalledError(team_id, enterprise_id) from None
            if refreshed is not None:
                await self._installations.async_save(refreshed)
                installation = refreshed
        until = time.monotonic() + self._ttl_s
        expires_at = installation.bot_token_expires_at
        if expires_at:
            # come back for a refresh when Bolt's authorize would refresh it
            refresh_in = expires_at - time.time() - self._rotation_minutes * 60
            until = min(until, time.monotonic() + refresh_in)
        base = self._base
        client = AsyncWebClient(
            token=installation.bot_token,
            base_url=base.base_url,
            timeout=base.timeout,
            session=base.session,
            retry_handlers=base.retry_handlers,
            logger=base.logger,
        )
        return client, until
