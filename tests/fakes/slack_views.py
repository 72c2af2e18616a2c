"""``views.open``, ``views.push``, ``views.update`` and ``views.publish`` in the fake Slack, as a
mixin of :class:`tests.fakes.slack_api.FakeSlack`, with the ``view`` checks Slack makes (type,
title, submit with inputs, 24-character title/submit/close, 100 blocks, ``private_metadata``
3000 characters, ``callback_id`` 255).
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.fakes.slack_rules import (
    VIEW_BLOCKS_MAX,
    SlackError,
    check_blocks,
    decode,
    missing,
    too_long,
)


class ViewMethods:
    """Records ``views`` (modals as opened, pushed or updated; the last is the newest) and
    ``home_views`` (user id -> published Home tab)."""

    views: list[dict[str, Any]]
    home_views: dict[str, dict[str, Any]]
    _ids: itertools.count[int]

    def _view_methods(self) -> dict[str, Any]:
        return {
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
        }

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = {**check_view(params, "modal"), "id": f"V{next(self._ids):010d}"}
        self.views.append(view)
        return {"view": view_answer(view)}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if not view_id and not external_id:
            raise missing("view_id")
        known = next(
            (
                v
                for v in reversed(self.views)
                if v["id"] == view_id or v.get("external_id") == (external_id or None)
            ),
            None,
        )
        if known is None:
            raise SlackError("not_found")
        view = {**check_view(params, "modal"), "id": known["id"]}
        self.views.append(view)
        return {"view": view_answer(view)}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        view = {**check_view(params, "home"), "id": f"V{next(self._ids):010d}"}
        self.home_views[str(params["user_id"])] = view
        return {"view": view_answer(view)}


def check_view(params: dict[str, Any], kind: str) -> dict[str, Any]:
    """The decoded ``view`` argument, checked like Slack checks it."""
    view = decode(params["view"], "view")
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments", "[ERROR] view must be an object [json-pointer:/view]")
    problems = []
    if view.get("type") != kind:
        problems.append(f"[ERROR] must be '{kind}' [json-pointer:/view/type]")
    problems += check_blocks(view.get("blocks"), VIEW_BLOCKS_MAX, "/view/blocks")
    if kind == "modal":
        if not isinstance(view.get("title"), dict):
            problems.append("[ERROR] missing required field: title [json-pointer:/view]")
        for key in ("title", "submit", "close"):
            if isinstance(view.get(key), dict) and len(view[key].get("text", "")) > 24:
                problems.append(too_long(24, f"/view/{key}/text"))
        has_input = any(
            isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
        )
        if has_input and "submit" not in view:
            problems.append(
                "[ERROR] submit is required when an input block is present [json-pointer:/view]"
            )
    if len(view.get("private_metadata", "")) > 3000:
        problems.append(too_long(3000, "/view/private_metadata"))
    if len(view.get("callback_id", "")) > 255:
        problems.append(too_long(255, "/view/callback_id"))
    if problems:
        raise SlackError("invalid_arguments", *problems)
    return view


def view_answer(view: dict[str, Any]) -> dict[str, Any]:
    """The ``view`` object Slack answers with: the view plus the fields Slack adds."""
    return {
        "team_id": "T1",
        "state": {"values": {}},
        "hash": f"1700000000.{view['id'][1:9]}",
        "root_view_id": view["id"],
        "app_id": "A1",
        "bot_id": "BBOT",
        "private_metadata": "",
        "callback_id": "",
        "external_id": "",
        **view,
    }
