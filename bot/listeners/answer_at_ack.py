"""Answer Slack the moment a listener acks, without Bolt's polling.

The app runs Bolt with ``process_before_response=True``: Bolt awaits each listener and sends
the HTTP response (or the Socket Mode envelope) when it returns. With Bolt's default instead,
Bolt starts the listener as a task and checks every 10 ms whether it has acked
(``slack_bolt.listener.asyncio_runner``); under a burst of 500 slash commands those checks
cost more CPU than the acks themselves, and the benchmark's ack p99 was ~870 ms instead of
~400 ms.

Listeners are registered through :func:`answer_at_ack`, which keeps the default's
behaviour without the polling: the listener runs as a task of its own, and Bolt's await
returns as soon as it calls ``ack`` (or when it ends, or after Slack's 3 seconds), while the
rest of its work goes on after the response. Listeners that take no ``ack`` (events and
workflow steps, which Bolt acknowledges itself) return at once. A listener that fails before
it acks fails the request as before (Bolt's error handler answers); a failure after the ack
is logged with its traceback.

The wrapper costs a task and two turns of the event loop per request, which under a burst is
~100 ms of ack latency; so ``/imagine``, the one listener that comes in bursts, is registered
as it is and returns at its ack by design (its only later work, opening the modal, goes to
:func:`after_ack`).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

# Slack's deadline for an ack (platform.md, section "Slack": "Acknowledge within 3 seconds").
ACK_TIMEOUT_S = 3.0

Listener = Callable[..., Awaitable[None]]

_running: set[asyncio.Task[None]] = set()  # strong references until each task ends


class _SignallingAck:
    """Bolt's ``ack``, which also resolves ``answered`` once it has been called."""

    def __init__(self, ack: Any, answered: asyncio.Future[None]) -> None:
        self._ack = ack
        self._answered = answered

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await self._ack(*args, **kwargs)
        finally:
            _resolve(self._answered)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ack, name)


def answer_at_ack(listener: Listener) -> Listener:
    """``listener`` for ``app.command(...)``, ``app.event(...)`` and the rest, run so that
    Bolt answers Slack when it acks (see the module docstring). Bolt injects the same
    arguments as it would to ``listener`` (it reads the names through ``functools.wraps``)."""
    takes_ack = "ack" in inspect.signature(listener).parameters
    name = f"imagine-listener-{listener.__name__}"

    @functools.wraps(listener)
    async def run(**kwargs: Any) -> None:
        loop = asyncio.get_running_loop()
        if not takes_ack:  # Bolt acknowledges events and steps itself
            _keep(loop.create_task(listener(**kwargs), name=name))
            return
        answered: asyncio.Future[None] = loop.create_future()  # acked, ended or timed out
        kwargs["ack"] = _SignallingAck(kwargs["ack"], answered)
        task = loop.create_task(listener(**kwargs), name=name)
        task.add_done_callback(lambda _: _resolve(answered))
        deadline = loop.call_later(ACK_TIMEOUT_S, _resolve, answered)
        try:
            await answered
        finally:
            deadline.cancel()
        failed = task.done() and not task.cancelled() and task.exception() is not None
        if failed and kwargs["ack"].response is None:
            task.result()  # it failed before acking: Bolt's error handler answers, as always
        _keep(task)

    return run


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _keep(task: asyncio.Task[None]) -> None:
    """Hold ``task`` until it ends, then log a failure with its traceback."""
    _running.add(task)
    task.add_done_callback(_finished)


def after_ack(work: Coroutine[Any, Any, None], name: str) -> None:
    """Run ``work`` as a task of its own, so that a listener registered without
    :func:`answer_at_ack` can return (and Bolt answer Slack) at its ack; a failure is logged
    with its traceback."""
    _keep(asyncio.get_running_loop().create_task(work, name=f"imagine-{name}"))


async def drain(grace_s: float) -> int:
    """At shutdown, once no request comes in: wait up to ``grace_s`` seconds for this event
    loop's listeners still at work after their ack, then cancel the rest and wait until they
    have ended, so that none outlives the services it uses. Returns how many were cancelled."""
    loop = asyncio.get_running_loop()
    tasks = [task for task in _running if task.get_loop() is loop and not task.done()]
    if not tasks:
        return 0
    _, pending = await asyncio.wait(tasks, timeout=grace_s)
    for task in pending:
        task.cancel()
    if pending:
        log.warning("%d listeners were still at work at shutdown and were cancelled", len(pending))
        await asyncio.wait(pending)
    return len(pending)


def _finished(task: asyncio.Task[None]) -> None:
    _running.discard(task)
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("listener %s failed after its ack", task.get_name(), exc_info=error)
