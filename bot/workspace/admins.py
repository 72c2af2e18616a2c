"""Who may change a workspace's settings and see its usage: Imagine's operators
(ADMIN_USER_IDS) and the workspace's own admins and owners.

Workspace roles come from ``users.info`` (scope ``users:read``): ``user.is_admin``,
``user.is_owner``, ``user.is_primary_owner``, and on Enterprise Grid ``user.enterprise_user``'s
``is_admin`` / ``is_owner`` (Slack API reference, "users.info" and the user object). Guests
(``is_restricted``, ``is_ultra_restricted``), bots and deactivated users never count. For an
org-wide install the settings are the organisation's, so only organisation admins and owners
count there. Answers are reused for WORKSPACE_ADMIN_CACHE_S seconds (default 60).

Only ADMIN_USER_IDS are exempt from the daily image limit: checking roles on every request
would put a ``users.info`` call on the ack path of each new user.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, ValidationError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings

log = logging.getLogger(__name__)

USERS_INFO_TIMEOUT_S = 2.0  # the view_submission that asks must still be acked within 3 s
MAX_CACHED = 10_000


class _Roles(BaseModel):
    model_config = ConfigDict(extra="ignore")

    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False

    @property
    def any(self) -> bool:
        return self.is_admin or self.is_owner or self.is_primary_owner


class SlackUser(_Roles):
    """The parts of ``users.info``'s ``user`` that decide whether someone is an admin."""

    id: str
    deleted: bool = False
    is_bot: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    enterprise_user: _Roles | None = None

    def administers(self, *, organisation: bool) -> bool:
        """Admin or owner of the workspace (or, with ``organisation``, of the Grid org)."""
        if self.deleted or self.is_bot or self.is_restricted or self.is_ultra_restricted:
            return False
        org = self.enterprise_user is not None and self.enterprise_user.any
        return org if organisation else (self.any or org)


class AdminCheck:
    """``await admins.is_admin(client, settings, team_id=…, user_id=…)``; ``clock`` is a
    monotonic clock in seconds."""

    def __init__(self, *, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._cached: dict[tuple[str, str, bool], tuple[float, bool]] = {}

    async def is_admin(
        self,
        client: AsyncWebClient,
        settings: Settings,
        *,
        team_id: str,
        user_id: str,
        organisation: bool = False,
    ) -> bool:
        """Whether ``user_id`` may change the settings of ``team_id`` (of its organisation when
        ``organisation``, an org-wide install). ``client`` must carry the workspace's token.
        A failed ``users.info`` (missing scope, unknown user, timeout) counts as no, logged."""
        if user_id in settings.admin_user_ids:
            return True
        if not user_id:
            return False
        key = (team_id, user_id, organisation)
        cached = self._cached.get(key)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        answer = await self._ask(client, user_id, organisation)
        if answer is None:  # not known: ask again next time
            return False
        if self._ttl_s > 0:
            if len(self._cached) >= MAX_CACHED:
                self._cached.clear()
            self._cached[key] = (self._clock() + self._ttl_s, answer)
        return answer

    @staticmethod
    async def _ask(client: AsyncWebClient, user_id: str, organisation: bool) -> bool | None:
        try:
            async with asyncio.timeout(USERS_INFO_TIMEOUT_S):
                response = await client.users_info(user=user_id)
            user = SlackUser.model_validate(response.get("user"))
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            return None
        except (TimeoutError, ValidationError) as exc:
            log.warning("users.info gave no usable answer for %s: %s", user_id, type(exc).__name__)
            return None
        return user.administers(organisation=organisation)
