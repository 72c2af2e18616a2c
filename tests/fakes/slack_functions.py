"""Workflow Builder custom steps in :class:`tests.fakes.slack_api.FakeSlack` (issue #9).

- ``function_executed`` events: :meth:`WorkflowFunctions.execution` issues an execution (an
  ``Fx…`` id and its own ``xwfp-…`` token) and returns the ``event_callback`` body Slack sends,
  in the shape of Slack's ``function_executed`` reference and bolt-python's
  ``tests/scenario_tests_async/test_function.py``; :meth:`WorkflowFunctions.deliver` posts it,
  signed, to an app's request URL.
- ``functions.completeSuccess`` / ``functions.completeError``: accepted only with the execution
  token the fake issued for that execution (a bot token gets ``not_allowed_token_type``, another
  execution's token ``access_denied``, an expired one ``token_expired``); ``outputs`` must be an
  object (checked against the declared ``output_parameters`` when :meth:`declare` was called),
  ``error`` a non-empty string; a finished execution answers ``execution_not_in_running_state``.
- ``chat.getPermalink`` for messages the fake holds, and ``files.info`` with ``shares`` that
  appear only after ``share_after_polls`` calls (sharing finishes asynchronously; platform.md
  "Where a result lives"), unless the fake already answers ``files.info`` itself.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_sdk.signature import SignatureVerifier

if TYPE_CHECKING:
    from tests.fakes.slack_api import FakeSlack

TEAM_URL = "https://imagine-test.slack.com"


@dataclass
class Execution:
    """One run of a custom step: its ``token``, ``state`` (``running``, ``completed``,
    ``failed``), and what it ended with (``outputs`` or ``error``)."""

    id: str
    callback_id: str
    token: str
    inputs: dict[str, Any]
    state: str = "running"
    expired: bool = False
    outputs: dict[str, Any] | None = None
    error: str | None = None
    calls: list[str] = field(default_factory=list)


class WorkflowFunctions:
    """The custom-step part of a :class:`FakeSlack` (``slack.workflow``)."""

    def __init__(self, slack: FakeSlack) -> None:
        from tests.fakes.slack_api import SlackError

        self._error = SlackError
        self.slack = slack
        self.executions: dict[str, Execution] = {}
        self.declared: dict[str, dict[str, Any]] = {}
        self.share_after_polls = 1
        self._polls: dict[str, int] = {}
        self._ids = itertools.count(1)
        methods = slack._methods  # noqa: SLF001 - the fake's own method table
        methods["functions.completeSuccess"] = self._complete_success
        methods["functions.completeError"] = self._complete_error
        methods.setdefault("chat.getPermalink", self._get_permalink)
        methods.setdefault("files.info", self._files_info)

    # --- executions ---------------------------------------------------------------------------

    def declare(self, functions: dict[str, Any]) -> None:
        """Check outputs against these definitions (the manifest's ``functions`` map)."""
        self.declared = dict(functions)

    def execution(
        self,
        inputs: dict[str, Any],
        *,
        callback_id: str = "generate_images",
        team_id: str = "T1",
        event_id: str | None = None,
    ) -> tuple[Execution, dict[str, Any]]:
        """A new running execution and the ``event_callback`` body announcing it."""
        number = next(self._ids)
        execution = Execution(
            id=f"Fx{number:010d}",
            callback_id=callback_id,
            token=f"xwfp-{number}-{time.monotonic_ns()}-fakeexecutiontoken",
            inputs=dict(inputs),
        )
        self.executions[execution.id] = execution
        definition = self.declared.get(callback_id, {})
        event = {
            "type": "function_executed",
            "function": {
                "id": f"Fn{number:010d}",
                "callback_id": callback_id,
                "title": definition.get("title", callback_id),
                "description": definition.get("description", ""),
                "type": "app",
                "input_parameters": _parameters(definition.get("input_parameters", {})),
                "output_parameters": _parameters(definition.get("output_parameters", {})),
                "app_id": "A1",
                "date_created": 1694727597,
                "date_updated": 1698947481,
                "date_deleted": 0,
            },
            "inputs": dict(inputs),
            "function_execution_id": execution.id,
            "workflow_execution_id": f"Wx{number:010d}",
            "event_ts": f"{int(time.time())}.{number:06d}",
            "bot_access_token": execution.token,
        }
        body = {
            "token": "verification_token",
            "team_id": team_id,
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{number:08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        return execution, body

    def expire(self, execution_id: str) -> None:
        """Make the execution's token expired (as after a long outage)."""
        self.executions[execution_id].expired = True

    async def deliver(self, url: str, body: dict[str, Any], signing_secret: str) -> int:
        """POST ``body`` to ``url`` as Slack does (JSON, signed); returns the HTTP status."""
        raw = json.dumps(body)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": SignatureVerifier(signing_secret).generate_signature(
                timestamp=timestamp, body=raw
            ),
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=raw.encode(), headers=headers) as response,
        ):
            return response.status

    def ended(self) -> list[Execution]:
        """The executions that were completed or failed."""
        return [e for e in self.executions.values() if e.state != "running"]

    # --- token check (called by FakeSlack._api for functions.* methods) -----------------------

    def token_error(self, method: str, token: str, params: dict[str, Any]) -> str | None:
        """The error Slack gives for ``token`` on ``method``, or ``None`` when it may call it."""
        if not token.startswith("xwfp-"):
            return "not_allowed_token_type" if token == self.slack.bot_token else "invalid_auth"
        owner = next((e for e in self.executions.values() if e.token == token), None)
        if owner is None:
            return "invalid_auth"
        if owner.expired:
            return "token_expired"
        if params.get("function_execution_id") not in (None, "", owner.id):
            return "access_denied"
        owner.calls.append(method)
        return None

    # --- methods ------------------------------------------------------------------------------

    def _running(self, params: dict[str, Any]) -> Execution:
        execution_id = params.get("function_execution_id")
        if not execution_id:
            raise self._error(
                "invalid_arguments", "[ERROR] missing required field: function_execution_id"
            )
        execution = self.executions.get(str(execution_id))
        if execution is None:
            raise self._error("function_execution_not_found")
        if execution.state != "running":
            raise self._error("execution_not_in_running_state")
        return execution

    def _complete_success(self, params: dict[str, Any]) -> dict[str, Any]:
        execution = self._running(params)
        outputs = params.get("outputs")
        if isinstance(outputs, str):
            try:
                outputs = json.loads(outputs)
            except ValueError:
                outputs = None
        if not isinstance(outputs, dict):
            raise self._error("invalid_arguments", "[ERROR] outputs must be an object")
        problems = self._output_problems(execution.callback_id, outputs)
        if problems:
            raise self._error("invalid_arguments", *problems)
        execution.state, execution.outputs = "completed", outputs
        return {}

    def _complete_error(self, params: dict[str, Any]) -> dict[str, Any]:
        execution = self._running(params)
        error = params.get("error")
        if not isinstance(error, str) or not error.strip():
            raise self._error("invalid_arguments", "[ERROR] error must be a non-empty string")
        execution.state, execution.error = "failed", error
        return {}

    def _output_problems(self, callback_id: str, outputs: dict[str, Any]) -> list[str]:
        declared = self.declared.get(callback_id, {}).get("output_parameters")
        if declared is None:
            return []
        problems = [f"[ERROR] unknown output: {name}" for name in outputs if name not in declared]
        for name, spec in declared.items():
            if spec.get("is_required") and outputs.get(name) in (None, ""):
                problems.append(f"[ERROR] missing required output: {name}")
            elif name in outputs and not _has_type(outputs[name], spec["type"]):
                problems.append(f"[ERROR] output {name} is not a {spec['type']}")
        return problems

    def _get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel"), params.get("message_ts")
        if not channel or not ts:
            raise self._error("invalid_arguments", "[ERROR] channel and message_ts are required")
        for message in self.slack.messages:
            if (message.channel, message.ts) == (channel, ts):
                link = f"{TEAM_URL}/archives/{channel}/p{ts.replace('.', '')}"
                if message.thread_ts:
                    link += f"?thread_ts={message.thread_ts}&cid={channel}"
                return {"channel": channel, "permalink": link}
        raise self._error("message_not_found")

    def _files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file") or "")
        upload = self.slack.uploads.get(file_id)
        if upload is None or upload.received is None:
            raise self._error("file_not_found")
        self._polls[file_id] = self._polls.get(file_id, 0) + 1
        shares: dict[str, dict[str, list[dict[str, Any]]]] = {}
        if self._polls[file_id] > self.share_after_polls:
            for message in self.slack.messages:
                if any(f["id"] == file_id for f in message.files):
                    visibility = "private" if message.channel[:1] in "GD" else "public"
                    share = {"ts": message.ts, "channel_name": "general", "team_id": "T1"}
                    if message.thread_ts:
                        share["thread_ts"] = message.thread_ts
                    shares.setdefault(visibility, {}).setdefault(message.channel, []).append(share)
        file = {
            "id": file_id,
            "name": upload.filename,
            "title": upload.filename,
            "mimetype": "image/png",
            "filetype": "png",
            "size": upload.received,
            "url_private": f"{TEAM_URL}/files-pri/T1-{file_id}/{upload.filename}",
            "permalink": f"{TEAM_URL}/files/UBOT/{file_id}/{upload.filename}",
            "channels": [c for c in shares.get("public", {})],
            "groups": [c for c in shares.get("private", {})],
            "shares": shares,
        }
        return {"file": file}


def _parameters(definitions: dict[str, Any]) -> list[dict[str, Any]]:
    """The manifest's flat ``{name: spec}`` map as the list the event carries."""
    return [{"name": name, **spec} for name, spec in definitions.items()]


def _has_type(value: Any, kind: str) -> bool:
    """Whether ``value`` is a JSON value of the Slack type ``kind``."""
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "slack#/types/timestamp":
        return isinstance(value, int) and not isinstance(value, bool) and value > 1_000_000_000
    if kind == "slack#/types/message_ts":
        return isinstance(value, str) and len(value.split(".")) == 2
    if kind == "slack#/types/message_context":
        return isinstance(value, dict) and {"channel_id", "message_ts"} <= set(value)
    if kind in ("slack#/types/channel_id", "slack#/types/user_id"):
        return isinstance(value, str) and bool(value)
    return True
