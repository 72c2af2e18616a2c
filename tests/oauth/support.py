"""Shared by the OAuth-mode tests: the app's credentials at the fake Slack, and small helpers to
read the installation tables and wait for deliveries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from tests.fakes.slack_oauth import FakeSlackWorkspaces
from tests.harness import Imagine

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret-0123456789"
T2_CHANNELS = {"C2GEN": "member", "C2PUB": "public"}
T3_CHANNELS = {"C3GEN": "member"}


def origin(imagine: Imagine) -> str:
    return str(imagine.http.make_url("")).rstrip("/")


async def rows(imagine: Imagine, table: Any) -> list[Any]:
    async with imagine.services.store.engine.connect() as conn:
        return list((await conn.execute(select(table))).mappings())


async def delivered(imagine: Imagine, channel: str) -> Any:
    await imagine.slack.wait_for(
        lambda: any(m.files and m.channel == channel for m in imagine.slack.messages), timeout=10
    )
    return next(m for m in imagine.slack.messages if m.files and m.channel == channel)


async def eventually(check: Callable[[], Any], timeout: float = 10) -> None:
    """Wait until the async ``check()`` is true (listeners of events run after the ack)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def button_in(imagine: Imagine, channel: str) -> dict[str, Any]:
    """The Regenerate button posted in ``channel``, once it is there."""

    def buttons() -> list[dict[str, Any]]:
        return [
            e
            for m in imagine.slack.messages
            if m.channel == channel and m.blocks
            for b in m.blocks
            if b["type"] == "actions"
            for e in b["elements"]
        ]

    await imagine.slack.wait_for(buttons, timeout=10)
    return buttons()[0]


def uploads_by(slack: FakeSlackWorkspaces, token: str) -> int:
    return slack.calls_with_token(token).count("files.completeUploadExternal")
