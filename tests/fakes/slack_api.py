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
import asyncio
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from tests.fakes import FaultQueue, LocalServer
from tests.fakes.slack_functions import WorkflowFunctions
from tests.fakes.slack_users import SlackUsers, UserNotFound, element_problems

CHANNEL_KINDS = frozenset({"member", "public", "private", "archived"})
_TS_PATTERN = re.compile(r"^\d{10}\.\d{6}$")
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
    "reactions.add": ("channel", "timestamp", "name"),
    "reactions.remove": ("channel", "timestamp", "name"),
    "views.open": ("trigger_id", "view"),
    "views.push": ("trigger_id", "view"),
    "views.update": ("view",),
    "views.publish": ("user_id", "view"),
    "users.info": ("user",),
}

# Block Kit limits checked wherever they appear (characters or items).
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
TEXT_MAX = 40_000
ALT_TXT_MAX = 1000


@dataclass
class SlackCall:
    """One Web API call: ``method`` (e.g. ``"chat.postMessage"``), ``params`` merged from the
    query string and the form or JSON body (values as sent: form values are strings), and the
    request ``headers``."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class SlackMessage:
    """A message the bot put in a channel, by ``chat.postMessage`` or by
    ``files.completeUploadExternal`` (``text`` = ``initial_comment``).

    ``blocks`` is a list (decoded when sent as a JSON string) or ``None``. ``files`` holds one
    dict per shared file: ``id``, ``title``, ``filename``, ``alt_txt``, ``length`` (bytes) and,
    when the fake keeps upload bytes, ``bytes``. ``ts`` is the message's own timestamp.
    """

    channel: str
    ts: str
    text: str | None = None
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    user: str = "UBOT"

    def as_slack(self) -> dict[str, Any]:
        """The ``message`` object Slack returns for it."""
        message: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "bot_id": "BBOT",
            "ts": self.ts,
        }
        message.update({"text": self.text or ""})
        if self.blocks is not None:
            message["blocks"] = self.blocks
        if self.thread_ts:
            message["thread_ts"] = self.thread_ts
        if self.files:
            message["files"] = [
                {"id": f["id"], "title": f["title"], "name": f["filename"]} for f in self.files
            ]
        return message


@dataclass
class SlackFault:
    """An injected answer: HTTP ``status``, Slack ``error`` code, optional ``Retry-After`` seconds."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None


@dataclass
class _Upload:
    """A file announced by ``files.getUploadURLExternal``; ``received`` bytes once uploaded."""

    id: str
    filename: str
    length: int
    alt_txt: str | None
    received: int | None = None
    data: bytes | None = None


class SlackError(Exception):
    """Raised by a method handler: answer ``{"ok": false, "error": error}``."""

    def __init__(self, error: str, *messages: str) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)


def _missing(name: str) -> SlackError:
    return SlackError("invalid_arguments", f"[ERROR] missing required field: {name}")


def _too_long(limit: int, pointer: str) -> str:
    return f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}]"


def _block_problems(value: Any, pointer: str) -> Iterator[str]:
    """Slack-style messages for Block Kit limits broken anywhere inside ``value``."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _block_problems(item, f"{pointer}/{index}")
        return
    if not isinstance(value, dict):
        return
    kind = value.get("type")
    yield from element_problems(value, pointer)
    if kind == "button" and len(str(value.get("value", ""))) > 2000:
        yield _too_long(2000, f"{pointer}/value")
    if kind in ("static_select", "multi_static_select") and len(value.get("options", [])) > 100:
        yield f"[ERROR] must provide at most 100 items [json-pointer:{pointer}/options]"
    if kind == "plain_text_input" and int(value.get("max_length", 0)) > 3000:
        yield f"[ERROR] must be at most 3000 [json-pointer:{pointer}/max_length]"
    if kind is None and "value" in value and isinstance(value.get("text"), dict):  # an option
        if len(value["text"].get("text", "")) > 75:
            yield _too_long(75, f"{pointer}/text/text")
        if len(str(value["value"])) > 150:
            yield _too_long(150, f"{pointer}/value")
    for key, item in value.items():
        yield from _block_problems(item, f"{pointer}/{key}")


def _check_blocks(blocks: Any, limit: int, pointer: str) -> list[str]:
    """Problems with a ``blocks`` array: its shape, its length and the limits inside."""
    if not isinstance(blocks, list) or not all(
        isinstance(b, dict) and b.get("type") for b in blocks
    ):
        return [f"[ERROR] blocks must be an array of objects with a type [json-pointer:{pointer}]"]
    problems = list(_block_problems(blocks, pointer))
    if len(blocks) > limit:
        problems.insert(0, f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]")
    return problems


def _decode(value: Any, name: str) -> Any:
    """A JSON argument that may arrive as a JSON string (form and query values always do)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise SlackError("invalid_arguments", f"[ERROR] {name} is not valid JSON") from None


class FakeSlack(LocalServer):
    """A strict fake Slack Web API on ``http://127.0.0.1:PORT/api/``.

    Constructor:
        ``bot_token``: the only token accepted (``Authorization: Bearer``, or a ``token`` form
        field). ``channels``: channel id -> ``"member"`` (the bot is in it), ``"public"`` (bot not
        a member: ``not_in_channel`` until ``conversations.join``), ``"private"`` (bot not a
        member: ``channel_not_found``) or ``"archived"`` (``is_archived``). Other ids take
        ``default_kind`` when they start with one of ``default_prefixes`` (``C``, ``D``), else
        ``channel_not_found``. ``keep_upload_bytes``: keep uploaded file contents (else only
        their length).

    Recorded (all lists in arrival order):
        ``calls`` (:class:`SlackCall`, every ``/api/`` request, refused ones too),
        ``users`` (people for ``users.info``: :class:`tests.fakes.slack_users.SlackUsers`),
        ``messages`` (:class:`SlackMessage`), ``ephemerals`` (dicts: ``channel``, ``user``,
        ``text``, ``blocks``, ``thread_ts``, ``message_ts``), ``reactions`` (``(channel, ts)`` ->
        set of names now on it), ``views`` (view dicts as opened, pushed or updated, each with its
        ``id``; the last is the newest), ``home_views`` (user id -> view), ``responses`` (JSON
        bodies posted to response URLs, plus ``response_url_id``), ``uploads`` (file id ->
        upload record with ``filename``, ``length``, ``received``, ``data``).

    Methods: :meth:`calls_to`, :meth:`fail_next`, :meth:`new_response_url`, :meth:`wait_for`.
    """

    def __init__(
        self,
        bot_token: str = "xoxb-test",
        *,
        channels: dict[str, str] | None = None,
        default_kind: str = "member",
        default_prefixes: tuple[str, ...] = ("C", "D"),
        keep_upload_bytes: bool = True,
        app_token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port)
        self.app_token = app_token
        self.socket: web.WebSocketResponse | None = None
        self.socket_acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
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
        self.uploads: dict[str, _Upload] = {}
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
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "conversations.join": self._conversations_join,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
        }
        self.workflow = WorkflowFunctions(self)  # functions.*, chat.getPermalink, files.info
        self.app.router.add_route("*", "/api/{method}", self._api)
        self.app.router.add_post("/upload/{file_id}", self._upload)
        self.app.router.add_post("/response/{response_id}", self._response_url)
        self.app.router.add_get("/socket", self._socket)

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

    # --- Socket Mode ---------------------------------------------------------------------------

    async def send_over_socket(
        self, envelope_type: str, payload: dict[str, Any], timeout: float = 10.0
    ) -> dict[str, Any]:
        """Deliver ``payload`` to the connected Socket Mode client as an envelope of
        ``envelope_type`` (``slash_commands``, ``interactive``, ``events_api``) and return its
        acknowledgement (``{"envelope_id", "payload"?}``). Requires a connection (``app_token``
        set and the app connected; see :meth:`wait_for`)."""
        if self.socket is None or self.socket.closed:
            raise AssertionError("no Socket Mode connection")
        envelope_id = f"env-{next(self._ids)}"
        ack: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.socket_acks[envelope_id] = ack
        await self.socket.send_json(
            {
                "envelope_id": envelope_id,
                "type": envelope_type,
                "payload": payload,
                "accepts_response_payload": envelope_type != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return await asyncio.wait_for(ack, timeout)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.socket = socket
        await socket.send_json(
            {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}}
        )
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            waiter = self.socket_acks.pop(str(data.get("envelope_id")), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(data)
        return socket

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
                    raise _missing(name)
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

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL: the file's bytes as the raw body (slack_sdk) or a multipart file."""
        fault = self.faults.take(lambda key: key == "upload")
        if fault:
            return self._fault_response(fault, text=True)
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="file_not_found")
        data = await _read_upload_body(request)
        upload.received = len(data)
        upload.data = data if self.keep_upload_bytes else None
        return web.Response(text=f"OK - {len(data)}")

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

    def _new_ts(self) -> str:
        seconds, micros = divmod(next(self._ts_ticks), 1_000_000)
        return f"{1_700_001_000 + seconds}.{micros:06d}"

    def _kind(self, channel: str) -> str | None:
        if channel in self.channels:
            return self.channels[channel]
        return self.default_kind if channel.startswith(self.default_prefixes) else None

    def _reach(self, channel: str) -> str:
        """``channel`` if the bot may post or react there, else the error Slack gives."""
        kind = self._kind(channel)
        if kind == "member":
            return channel
        raise SlackError(
            {"public": "not_in_channel", "archived": "is_archived"}.get(
                kind or "", "channel_not_found"
            )
        )

    def _content(self, params: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]] | None]:
        """Message ``text`` and decoded ``blocks``: at least one, within Slack's limits."""
        text = params.get("text") or None
        blocks = _decode(params.get("blocks"), "blocks") if params.get("blocks") else None
        if text is None and blocks is None and not params.get("attachments"):
            raise SlackError("no_text")
        if text is not None and len(str(text)) > TEXT_MAX:
            raise SlackError("msg_too_long")
        if blocks is not None and (
            problems := _check_blocks(blocks, MESSAGE_BLOCKS_MAX, "/blocks")
        ):
            raise SlackError("invalid_blocks", *problems)
        return text, blocks

    @staticmethod
    def _thread_ts(params: dict[str, Any]) -> str | None:
        thread_ts = params.get("thread_ts") or None
        if thread_ts is not None and not _TS_PATTERN.match(str(thread_ts)):
            raise SlackError("invalid_thread_ts")
        return thread_ts

    def _find_message(self, channel: str, ts: str) -> SlackMessage:
        for message in self.messages:
            if (message.channel, message.ts) == (channel, ts):
                return message
        raise SlackError("message_not_found")

    def _view(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        """The decoded ``view`` argument, checked like Slack checks it."""
        view = _decode(params["view"], "view")
        if not isinstance(view, dict):
            raise SlackError(
                "invalid_arguments", "[ERROR] view must be an object [json-pointer:/view]"
            )
        problems = []
        if view.get("type") != kind:
            problems.append(f"[ERROR] must be '{kind}' [json-pointer:/view/type]")
        problems += _check_blocks(view.get("blocks"), VIEW_BLOCKS_MAX, "/view/blocks")
        if kind == "modal":
            if not isinstance(view.get("title"), dict):
                problems.append("[ERROR] missing required field: title [json-pointer:/view]")
            for key in ("title", "submit", "close"):
                if isinstance(view.get(key), dict) and len(view[key].get("text", "")) > 24:
                    problems.append(_too_long(24, f"/view/{key}/text"))
            has_input = any(
                isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
            )
            if has_input and "submit" not in view:
                problems.append(
                    "[ERROR] submit is required when an input block is present [json-pointer:/view]"
                )
        if len(view.get("private_metadata", "")) > 3000:
            problems.append(_too_long(3000, "/view/private_metadata"))
        if len(view.get("callback_id", "")) > 255:
            problems.append(_too_long(255, "/view/callback_id"))
        if problems:
            raise SlackError("invalid_arguments", *problems)
        return view

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

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._reach(params["channel"])
        text, blocks = self._content(params)
        message = SlackMessage(channel, self._new_ts(), text, blocks, self._thread_ts(params))
        self.messages.append(message)
        return {"channel": channel, "ts": message.ts, "message": message.as_slack()}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._reach(params["channel"])
        text, blocks = self._content(params)
        ephemeral = {
            "channel": channel,
            "user": params["user"],
            "text": text,
            "blocks": blocks,
            "thread_ts": self._thread_ts(params),
            "message_ts": self._new_ts(),
        }
        self.ephemerals.append(ephemeral)
        return {"message_ts": ephemeral["message_ts"]}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._reach(params["channel"])
        message = self._find_message(channel, params["ts"])
        message.text, message.blocks = self._content(params)
        return {
            "channel": channel,
            "ts": message.ts,
            "text": message.text or "",
            "message": message.as_slack(),
        }

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._reach(params["channel"])
        self.messages.remove(self._find_message(channel, params["ts"]))
        return {"channel": channel, "ts": params["ts"]}

    def _conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params["channel"]
        kind = self._kind(channel)
        if kind == "archived":
            raise SlackError("is_archived")
        if kind not in ("member", "public"):
            raise SlackError("channel_not_found")
        self.channels[channel] = "member"
        answer: dict[str, Any] = {"channel": {"id": channel, "is_channel": True, "is_member": True}}
        if kind == "member":
            answer["warning"] = "already_in_channel"
        return answer

    def _files_get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            length = int(params["length"])
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments", "[ERROR] length must be an integer") from None
        if length <= 0:
            raise SlackError("invalid_arguments", "[ERROR] length must be positive")
        alt_txt = params.get("alt_txt")
        if alt_txt is not None and len(str(alt_txt)) > ALT_TXT_MAX:
            raise SlackError("invalid_arguments", _too_long(ALT_TXT_MAX, "/alt_txt"))
        file_id = f"F{next(self._ids):010d}"
        self.uploads[file_id] = _Upload(file_id, str(params["filename"]), length, alt_txt)
        return {"upload_url": f"{self.origin}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        items = _decode(params["files"], "files")
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(i, dict) and i.get("id") for i in items)
        ):
            raise SlackError(
                "invalid_arguments", "[ERROR] files must be a non-empty array of {id, title}"
            )
        shared = []
        for item in items:
            upload = self.uploads.get(item["id"])
            if upload is None or upload.received is None:
                raise SlackError("file_not_found")
            if upload.received != upload.length:
                raise SlackError("file_upload_size_mismatch")
            entry = {
                "id": upload.id,
                "title": item.get("title") or upload.filename,
                "filename": upload.filename,
                "alt_txt": upload.alt_txt,
                "length": upload.received,
            }
            if upload.data is not None:
                entry["bytes"] = upload.data
            shared.append(entry)

        channels = [params["channel_id"]] if params.get("channel_id") else []
        channels += [c for c in str(params.get("channels") or "").split(",") if c]
        thread_ts = self._thread_ts(params)
        if thread_ts and not channels:
            raise SlackError("invalid_arguments", "[ERROR] thread_ts requires channel_id")
        for channel in channels:
            self._reach(channel)
        blocks = _decode(params["blocks"], "blocks") if params.get("blocks") else None
        for channel in channels:
            text = params.get("initial_comment") or None
            self.messages.append(
                SlackMessage(channel, self._new_ts(), text, blocks, thread_ts, list(shared))
            )
        return {
            "files": [{"id": f["id"], "title": f["title"], "name": f["filename"]} for f in shared]
        }

    def _reaction(self, params: dict[str, Any]) -> tuple[set[str], str]:
        channel = self._reach(params["channel"])
        name = str(params["name"])
        if ":" in name or " " in name:
            raise SlackError("invalid_name")
        return self.reactions.setdefault((channel, str(params["timestamp"])), set()), name

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        names, name = self._reaction(params)
        if name in names:
            raise SlackError("already_reacted")
        names.add(name)
        return {}

    def _reactions_remove(self, params: dict[str, Any]) -> dict[str, Any]:
        names, name = self._reaction(params)
        if name not in names:
            raise SlackError("no_reaction")
        names.remove(name)
        return {}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        view = {**self._view(params, "modal"), "id": f"V{next(self._ids):010d}"}
        self.views.append(view)
        return {"view": _view_answer(view)}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if not view_id and not external_id:
            raise _missing("view_id")
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
        view = {**self._view(params, "modal"), "id": known["id"]}
        self.views.append(view)
        return {"view": _view_answer(view)}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        view = {**self._view(params, "home"), "id": f"V{next(self._ids):010d}"}
        self.home_views[str(params["user_id"])] = view
        return {"view": _view_answer(view)}

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

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> FakeSlack:
        """The server described by the command line."""
        return cls(
            args.bot_token, keep_upload_bytes=args.keep_upload_bytes, host=args.host, port=args.port
        )


def _view_answer(view: dict[str, Any]) -> dict[str, Any]:
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


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _answer_error(exc: SlackError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error": exc.error}
    if exc.messages:
        body["response_metadata"] = {"messages": exc.messages}
    return web.json_response(body)


async def _read_upload_body(request: web.Request) -> bytes:
    """The uploaded bytes: the first file part of a multipart body, else the raw body."""
    if request.content_type != "multipart/form-data":
        return await request.read()
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, BodyPartReader) and (part.filename or part.name == "file"):
            return bytes(await part.read())
    return b""


def _short(params: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in params.items() if k != "bytes")
    return text if len(text) <= 160 else text[:157] + "..."


if __name__ == "__main__":
    FakeSlack.main()
