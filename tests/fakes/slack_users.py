"""The fake Slack's people (``users.info``) and the Block Kit input elements of the Settings modal,
kept apart from :mod:`tests.fakes.slack_api` so that file stays small.

``users.info`` answers like Slack (Slack API reference, "users.info" and the user object): the
user object with ``id``, ``team_id``, ``name``, ``deleted``, ``is_admin``, ``is_owner``,
``is_primary_owner``, ``is_restricted``, ``is_ultra_restricted``, ``is_bot``, ``is_app_user``,
``profile`` and, on Enterprise Grid, ``enterprise_user`` (``id``, ``enterprise_id``,
``enterprise_name``, ``is_admin``, ``is_owner``, ``is_primary_owner``, ``teams``); an id that is
not a user id gives ``user_not_found``. Users not added explicitly are ordinary members of
``T1``.

:func:`element_problems` checks ``number_input``, ``multi_conversations_select``,
``plain_text_input`` initial values and ``static_select`` initial options as Slack's
``views.open`` does, with Slack-style messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
CONVERSATION_KINDS = frozenset({"im", "mpim", "private", "public"})


class UserNotFound(Exception):
    """``users.info`` for an id that is not a user."""


@dataclass
class FakeUser:
    """One person as ``users.info`` describes them."""

    id: str
    team_id: str = "T1"
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    is_bot: bool = False
    deleted: bool = False
    enterprise: dict[str, Any] | None = None

    def as_slack(self) -> dict[str, Any]:
        """The ``user`` object of a ``users.info`` answer."""
        user: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "name": f"user-{self.id.lower()}",
            "deleted": self.deleted,
            "color": "9f69e7",
            "real_name": f"User {self.id}",
            "tz": "Europe/London",
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "profile": {
                "real_name": f"User {self.id}",
                "display_name": f"user-{self.id.lower()}",
                "team": self.team_id,
            },
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_primary_owner,
            "is_restricted": self.is_restricted,
            "is_ultra_restricted": self.is_ultra_restricted,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "is_email_confirmed": True,
        }
        if self.enterprise is not None:
            user["enterprise_user"] = {
                "id": self.id,
                "enterprise_id": self.enterprise.get("enterprise_id", "E1"),
                "enterprise_name": "Acme Org",
                "is_admin": bool(self.enterprise.get("is_admin")),
                "is_owner": bool(self.enterprise.get("is_owner")),
                "is_primary_owner": bool(self.enterprise.get("is_primary_owner")),
                "teams": [self.team_id],
            }
        return user


@dataclass
class SlackUsers:
    """The people the fake knows; :meth:`add` one, :meth:`users_info` answers for them."""

    users: dict[str, FakeUser] = field(default_factory=dict)

    def add(self, user_id: str, **roles: Any) -> FakeUser:
        """Add (or replace) ``user_id`` with ``roles`` (fields of :class:`FakeUser`)."""
        user = FakeUser(user_id, **roles)
        self.users[user_id] = user
        return user

    def users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """``users.info``: ``{"user": {...}}``; raises :class:`UserNotFound` for a bad id."""
        user_id = str(params["user"])
        if user_id in self.users:
            return {"user": self.users[user_id].as_slack()}
        if not _USER_ID.match(user_id):
            raise UserNotFound(user_id)
        return {"user": FakeUser(user_id).as_slack()}


def _number(value: Any) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None


def element_problems(value: dict[str, Any], pointer: str) -> Iterator[str]:
    """Problems Slack reports for the input elements of a view (``value`` is one element)."""
    kind = value.get("type")
    if kind == "number_input":
        if not isinstance(value.get("is_decimal_allowed"), bool):
            yield f"[ERROR] missing required field: is_decimal_allowed [json-pointer:{pointer}]"
        numbers = {}
        for key in ("initial_value", "min_value", "max_value"):
            if key not in value:
                continue
            number = _number(value[key]) if isinstance(value[key], str) else None
            if number is None or (not value.get("is_decimal_allowed") and not number.is_integer()):
                yield f"[ERROR] must be a valid number string [json-pointer:{pointer}/{key}]"
            else:
                numbers[key] = number
        low, high = numbers.get("min_value"), numbers.get("max_value")
        initial = numbers.get("initial_value")
        if low is not None and high is not None and low > high:
            yield f"[ERROR] min_value must be at most max_value [json-pointer:{pointer}]"
        if initial is not None and (
            (low is not None and initial < low) or (high is not None and initial > high)
        ):
            yield f"[ERROR] initial_value out of range [json-pointer:{pointer}/initial_value]"
    if kind == "multi_conversations_select":
        initial = value.get("initial_conversations", [])
        if not isinstance(initial, list) or not all(isinstance(c, str) for c in initial):
            yield f"[ERROR] must be an array of strings [json-pointer:{pointer}]"
        limit = value.get("max_selected_items", 1)
        if not isinstance(limit, int) or limit < 1:
            yield f"[ERROR] must be at least 1 [json-pointer:{pointer}/max_selected_items]"
        elif isinstance(initial, list) and len(initial) > limit:
            yield f"[ERROR] too many initial_conversations [json-pointer:{pointer}]"
        include = (value.get("filter") or {}).get("include", [])
        if not set(include) <= CONVERSATION_KINDS:
            yield f"[ERROR] must be im, mpim, private or public [json-pointer:{pointer}/filter]"
    too_long = len(str(value.get("initial_value", ""))) > int(value.get("max_length", 3000))
    if kind == "plain_text_input" and too_long:
        yield f"[ERROR] initial_value is longer than max_length [json-pointer:{pointer}]"
    if kind == "static_select" and "initial_option" in value:
        values = [o.get("value") for o in value.get("options", []) if isinstance(o, dict)]
        if (value["initial_option"] or {}).get("value") not in values:
            yield f"[ERROR] initial_option must be one of the options [json-pointer:{pointer}]"
