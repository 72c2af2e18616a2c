"""``bot.tasks.cancel_and_wait``: stops a background task and absorbs only its own end; the
caller's own cancellation is never swallowed (the usual ``suppress(CancelledError)`` pattern
would swallow it, and a shutdown being cancelled would go on)."""

from __future__ import annotations

import asyncio

import pytest

from bot.tasks import cancel_and_wait


async def test_the_task_is_cancelled_and_waited_for() -> None:
    stopped: list[str] = []

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(0)  # its clean-up takes a turn of the loop
            stopped.append("stopped")

    task = asyncio.create_task(forever())
    await asyncio.sleep(0)
    await cancel_and_wait(task)
    assert task.cancelled() and stopped == ["stopped"]
    await cancel_and_wait(task)  # again: nothing happens
    await cancel_and_wait(None)


async def test_an_error_the_task_ended_with_is_raised() -> None:
    async def broken() -> None:
        raise ValueError("boom")

    task = asyncio.create_task(broken())
    await asyncio.sleep(0)
    with pytest.raises(ValueError, match="boom"):
        await cancel_and_wait(task)


async def test_a_cancellation_of_the_caller_is_not_swallowed() -> None:
    release = asyncio.Event()
    after: list[str] = []

    async def slow_to_stop() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await release.wait()  # takes a while to end once cancelled

    async def shutdown(task: asyncio.Task[None]) -> None:
        await cancel_and_wait(task)
        after.append("went on")  # must not happen: the shutdown itself was cancelled

    child = asyncio.create_task(slow_to_stop())
    await asyncio.sleep(0)
    caller = asyncio.create_task(shutdown(child))
    await asyncio.sleep(0.01)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert after == []
    release.set()
    await asyncio.wait([child])
    assert child.cancelled()
