"""Socket Mode in the fake Slack, as a mixin of :class:`tests.fakes.slack_api.FakeSlack`:
``apps.connections.open`` answers ``ws://…/socket`` (see ``FakeSlack._api``), the WebSocket
says ``hello``, and :meth:`SocketMode.send_over_socket` delivers envelopes and returns their
acknowledgements (Slack "Using Socket Mode": envelope_id, type, payload,
accepts_response_payload, retry_attempt, retry_reason).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from aiohttp import WSMsgType, web


class SocketMode:
    """The Socket Mode half of the fake: ``socket`` is the app's connection once it connected."""

    def _init_socket(self, app: web.Application) -> None:
        self.socket: web.WebSocketResponse | None = None
        self.socket_acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._envelope_ids = itertools.count(1)
        app.router.add_get("/socket", self._socket)

    async def send_over_socket(
        self, envelope_type: str, payload: dict[str, Any], timeout: float = 10.0
    ) -> dict[str, Any]:
        """Deliver ``payload`` to the connected Socket Mode client as an envelope of
        ``envelope_type`` (``slash_commands``, ``interactive``, ``events_api``) and return its
        acknowledgement (``{"envelope_id", "payload"?}``). Requires a connection (``app_token``
        set and the app connected; see :meth:`wait_for`)."""
        if self.socket is None or self.socket.closed:
            raise AssertionError("no Socket Mode connection")
        envelope_id = f"env-{next(self._envelope_ids)}"
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
