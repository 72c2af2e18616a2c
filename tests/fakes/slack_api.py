"""A strict fake of the Slack Web API, modelled on bolt-python's ``tests/mock_web_api_server``.

Point ``AsyncWebClient(base_url=slack.base_url, token=...)`` (or the app's ``slack_api_url``) at
it. It answers like Slack: HTTP 200 with ``{"ok": false, "error": ...}`` for refusals, the
channel membership rules of a bot user, the three steps of ``files_upload_v2``, ``response_url``
posts, and injected faults (429 with ``Retry-After``, 5xx, any error code). Everything received
is recorded for assertions.

Command line: ``python -m tests.fakes.slack_api --port 8010 [--bot-token xoxb-test]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes import FaultQueue, LocalServer
from tests.fakes.slack_chat import ChatMethods, SlackMessage
from tests.fakes.slack_files import FileMethods
from tests.fakes.slack_functions import WorkflowFunctions
from tests.fakes.slack_rules import (
    SlackError,
    missing,
)
from tests.fakes.slack_socket import SocketMode
from tests.fakes.slack_users import SlackUsers, UserNotFound
from tests.fakes.slack_views import ViewMethods

CHANNEL_KINDS = frozenset({"member", "public", "private", "archived"})
_FAULT_ERRORS = {
    429: "ratelimited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
}

# Arguments Slack insists on, per method. Missing ones are answered with ``invalid_arguments``.
REQUIRED: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("channel",),
    "chat.postEphemeral": ("channel", "user"),
    "chat.update": ("channel", "ts"),
    "chat.delete": ("channel", "ts"),
    "conversations.join": ("channel",),
    "files.getUploadURLExternal": ("filename", "length"),
    "files.completeUploadExternal": ("files",),
    "files.info": ("file",),
    "chat.getPermalink": ("channel", "message_ts"),
    "reactions.add": ("channel", "timestamp", "name"),
    "reactions.remove": ("channel", "timestamp", "name"),
    "views.open": ("trigger_id", "view"),
    "views.push": ("trigger_id", "view"),
    "views.update": ("view",),
    "views.publish": ("user_id", "view"),
    "users.info": ("user",),
}


@dataclass
class SlackCall:
    """One Web API call: ``method`` (e.g. ``"chat.postMessage"``), ``params`` merged from the
    query string and the form or JSON body (values as sent: form values are strings), and the
    request ``headers``."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class SlackFault:
    """An injected answer: HTTP ``status``, Slack ``error`` code, optional ``Retry-After``
    seconds."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None


class FakeSlack(ChatMethods, FileMethods, ViewMethods, SocketMode, LocalServer):
    """A strict fake Slack Web API on ``http://127.0.0.1:PORT/api/``.

    Constructor:
        ``bot_token``: the only token accepted (``Authorization: Bearer``, or a ``token`` form
        field). ``channels``: channel id -> ``"member"`` (the bot is in it), ``"public"`` (bot not
        a member: ``not_in_channel`` until ``conversations.join``), ``"private"`` (bot not a
        member: ``channel_not_found``) or ``"archived"`` (``is_archived``). Other ids take
        ``default_kind`` when they start with one of ``default_prefixes`` (``C``, ``D``), else
        ``channel_not_found``. ``keep_upload_bytes``: keep uploaded file contents (else only
        their length). ``share_delay_s``: how long after ``files.completeUploadExternal`` the
        shares appear in ``files.info`` (:mod:`tests.fakes.slack_files`).

    Recorded (all lists in arrival order):
        ``calls`` (:class:`SlackCall`, every ``/api/`` request, refused ones too),
        ``users`` (people for ``users.info``: :class:`tests.fakes.slack_users.SlackUsers`),
        ``messages`` (:class:`SlackMessage`), ``ephemerals`` (dicts: ``channel``, ``user``,
        ``text``, ``blocks``, ``thread_ts``, ``message_ts``), ``reactions`` (``(channel, ts)`` ->
        set of names now on it), ``views`` (view dicts as opened, pushed or updated, each with its
        ``id``; the last is the newest), ``home_views`` (user id -> view), ``responses`` (JSON
        bodies posted to response URLs, plus ``response_url_id``), ``uploads`` (file id ->
        :class:`tests.fakes.slack_files.SlackFile`: ``filename``, ``length``, ``received``,
        ``data``, ``shares``), ``downloads`` (``(file_id, authorized)`` per file URL GET).

    Methods: :meth:`calls_to`, :meth:`fail_next`, :meth:`new_response_url`, :meth:`wait_for`,
    :meth:`add_user_file` (a person's upload, for ``file_share`` events), :meth:`result_ts`.
    """

    def __init__(
        self,
        bot_token: str = "xoxb-test",
        *,
        channels: dict[str, str] | None = None,
        default_kind: str = "member",
        default_prefixes: tuple[str, ...] = ("C", "D"),
        keep_upload_bytes: bool = True,
        share_delay_s: float = 0.1,
        app_token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port)
        self.app_token = app_token
        for kind in [*(channels or {}).values(), default_kind]:
            if kind not in CHANNEL_KINDS:
                raise ValueError(f"channel kind {kind!r} is not one of {sorted(CHANNEL_KINDS)}")
        self.bot_token = bot_token
        self.channels = dict(channels or {})
        self.default_kind = default_kind
        self.default_prefixes = default_prefixes
        self.keep_upload_bytes = keep_upload_bytes

        self.calls: list[SlackCall] = []
        self.messages: list[SlackMessage] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.reactions: dict[tuple[str, str], set[str]] = {}
        self.views: list[dict[str, Any]] = []
        self.home_views: dict[str, dict[str, Any]] = {}
        self.responses: list[dict[str, Any]] = []
        self.faults: FaultQueue[SlackFault] = FaultQueue()
        self.users = SlackUsers()  # users.info (tests.fakes.slack_users)

        self._ids = itertools.count(1)
        self._ts_ticks = itertools.count(100, 100)  # message ts: 1700001000.000100, .000200, ...
        self._response_urls: dict[str, int] = {}  # id -> posts so far
        self.current_token: str | None = None  # the token of the call being answered
        # Methods authenticated otherwise than by a token (see tests.fakes.slack_oauth).
        self._tokenless: dict[str, Callable[[dict[str, Any], web.Request], dict[str, Any]]] = {}
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            **self._chat_methods(),
        }
        self.workflow = WorkflowFunctions(self)  # functions.*, chat.getPermalink, files.info
        self.app.router.add_route("*", "/api/{method}", self._api)
        self._init_files(self.app, share_delay_s)
        self._methods.update(self._view_methods())
        self._methods.update(self._file_methods())
        self.app.router.add_post("/response/{response_id}", self._response_url)
        self._init_socket(self.app)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/api/``: the ``base_url`` for slack_sdk clients."""
        return f"{self.origin}/api/"

    # --- public helpers -----------------------------------------------------------------------

    def calls_to(self, method: str) -> list[SlackCall]:
        """The recorded calls of one Web API method, in order."""
        return [call for call in self.calls if call.method == method]

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` requests to ``method`` fail, before any other handling.

        ``method`` is a Web API method (``"chat.postMessage"``), ``"upload"`` (the upload URL,
        answered in text) or ``"response"`` (response URLs). The JSON answer is
        ``{"ok": false, "error": error}``; ``error`` defaults to ``ratelimited`` for 429,
        ``internal_error`` / ``service_unavailable`` for 500 / 503. A 429 always carries
        ``Retry-After`` (``retry_after`` seconds, default 1).
        """
        if error is None:
            error = _FAULT_ERRORS.get(status, "fatal_error")
        if status == 429 and retry_after is None:
            retry_after = 1
        self.faults.add(method, SlackFault(status, error, retry_after), times)

    def result_ts(self, file_id: str) -> str:
        """The ts of the message that shares ``file_id`` (known to the fake at once, to the
        app only through ``files.info`` once the share is visible)."""
        return self.uploads[file_id].shares[0].ts

    def new_response_url(self) -> str:
        """A fresh ``response_url`` (``http://127.0.0.1:PORT/response/<id>``) accepting up to 5
        JSON posts, recorded in :attr:`responses`."""
        response_id = f"R{next(self._ids):06d}"
        self._response_urls[response_id] = 0
        return f"{self.origin}/response/{response_id}"

    def describe(self) -> str:
        """The calls received (method and short parameters), messages, ephemerals and responses."""
        lines = [f"  {c.method} {_short(c.params)}" for c in self.calls[-30:]]
        lines += [
            f"  message {m.channel} thread={m.thread_ts} files={len(m.files)} {m.text!r:.80}"
            for m in self.messages
        ]
        lines += [f"  ephemeral {_short(e)}" for e in self.ephemerals]
        lines += [f"  response {_short(r)}" for r in self.responses]
        return "\n".join(lines) or "  (nothing)"

    # --- HTTP handlers ------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await self._read_params(request)
        except SlackError as exc:
            return _answer_error(exc)
        self.calls.append(SlackCall(method, params, dict(request.headers)))

        fault = self.faults.take(lambda key: key == method)
        if fault:
            return self._fault_response(fault)
        token = _bearer(request) or (
            params.get("token") if request.content_type != "application/json" else None
        )
        if method in self._tokenless:  # e.g. oauth.v2.access: client credentials instead
            try:
                return web.json_response({"ok": True, **self._tokenless[method](params, request)})
            except SlackError as exc:
                return _answer_error(exc)
        if not token:
            return _answer_error(SlackError("not_authed"))
        if method == "apps.connections.open":
            if self.app_token is None or token != self.app_token:
                return _answer_error(SlackError("invalid_auth"))
            return web.json_response({"ok": True, "url": f"ws://{self.host}:{self.port}/socket"})
        handler = self._methods.get(method)
        try:
            self._check_token(token, method, params)
            if handler is None:
                raise SlackError("unknown_method")
            for name in REQUIRED.get(method, ()):
                if params.get(name) in (None, ""):
                    raise missing(name)
            # Handlers run without awaiting: the caller's token is theirs until they return.
            self.current_token = token
            return web.json_response({"ok": True, **handler(params)})
        except SlackError as exc:
            return _answer_error(exc)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise SlackError("invalid_json") from None
            if not isinstance(body, dict):
                raise SlackError("invalid_json")
            params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return params

    def _fault_response(self, fault: SlackFault, *, text: bool = False) -> web.Response:
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
        if text:
            return web.Response(status=fault.status, text=str(fault.error), headers=headers)
        return web.json_response(
            {"ok": False, "error": fault.error}, status=fault.status, headers=headers
        )

    async def _response_url(self, request: web.Request) -> web.Response:
        """A response_url: JSON with ``text`` or ``blocks`` (or ``delete_original``), 5 posts."""
        fault = self.faults.take(lambda key: key == "response")
        if fault:
            return self._fault_response(fault, text=True)
        response_id = request.match_info["response_id"]
        if response_id not in self._response_urls:
            return web.Response(status=404, text="expired_url")
        if self._response_urls[response_id] >= 5:
            return web.Response(status=404, text="used_url")
        try:
            body = json.loads(await request.text())
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        if not (body.get("text") or body.get("blocks") or body.get("delete_original")):
            return web.Response(status=400, text="no_text")
        self._response_urls[response_id] += 1
        self.responses.append({**body, "response_url_id": response_id})
        return web.json_response({"ok": True})

    # --- shared rules -------------------------------------------------------------------------

    def _check_token(self, token: str, method: str, params: dict[str, Any]) -> None:
        """Raise ``invalid_auth`` unless ``token`` is the bot token (several workspaces, each
        with its own token: :class:`tests.fakes.slack_oauth.FakeSlackWorkspaces`); ``functions.*``
        take the workflow execution tokens instead."""
        if method.startswith("functions."):
            refusal = self.workflow.token_error(method, token, params)
        else:
            refusal = None if token == self.bot_token else "invalid_auth"
        if refusal:
            raise SlackError(refusal)

    # --- Web API methods: each takes the merged params and returns the fields besides "ok" ---

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": "https://imagine-test.slack.com/",
            "team": "Imagine Test",
            "user": "imagine",
            "team_id": "T1",
            "user_id": "UBOT",
            "bot_id": "BBOT",
            "is_enterprise_install": False,
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.users.users_info(params)
        except UserNotFound:
            raise SlackError("user_not_found") from None

    # --- command line -------------------------------------------------------------------------

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """``--bot-token`` and ``--keep-upload-bytes`` (off by default on the command line, to
        keep a benchmark's memory flat)."""
        parser.add_argument("--bot-token", default="xoxb-test", help="the accepted bot token")
        parser.add_argument(
            "--keep-upload-bytes", action="store_true", help="keep uploaded file contents"
        )
        parser.add_argument(
            "--share-delay", type=float, default=0.1, help="seconds until files.info shows shares"
        )

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> FakeSlack:
        """The server described by the command line."""
        return cls(
            args.bot_token,
            keep_upload_bytes=args.keep_upload_bytes,
            share_delay_s=args.share_delay,
            host=args.host,
            port=args.port,
        )


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _answer_error(exc: SlackError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error": exc.error}
    if exc.messages:
        body["response_metadata"] = {"messages": exc.messages}
    return web.json_response(body)


def _short(params: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in params.items() if k != "bytes")
    return text if len(text) <= 160 else text[:157] + "..."


if __name__ == "__main__":
    FakeSlack.main()
