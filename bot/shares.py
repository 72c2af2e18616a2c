"""Where a result lives: the ``ts`` of the message that shares an uploaded file.

``files.completeUploadExternal`` answers with the files, not the message; sharing finishes
asynchronously, and the message's ``ts`` appears a moment later in ``files.info`` ->
``file.shares.public`` (or ``.private``) ``[channel][0].ts`` (platform.md, "Where a result
lives"). A reply to the images has that ts as its ``thread_ts``, so it is what recognises a
reply in a result's thread.

- :func:`share_ts`: ask ``files.info`` with exponential backoff until the share shows, bounded
  in time.
- :class:`ShareTracker`: the process's one background task that learns the ts of every result
  posted at a channel's top level, off the job's critical path (it holds no job or payload
  slot): lookups are paced (at most ``calls_per_s`` per second, ``max_concurrency`` at once; the
  method is Tier 4, "100+ per minute") and each result is given up after ``timeout_s``, so a
  burst of results never becomes a burst of ``files.info`` calls. A reply that arrives before
  the ts is known can :meth:`ShareTracker.wait` for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.tasks import cancel_and_wait

log = logging.getLogger(__name__)

FIRST_DELAY_S = 0.25
MAX_DELAY_S = 4.0
# files.info answers that polling again cannot change.
FINAL_ERRORS = frozenset(
    {
        "file_not_found",
        "file_deleted",
        "missing_scope",
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "no_permission",
    }
)


class _GiveUp(Exception):
    """files.info said something polling again cannot change."""


def ts_in(answer: Mapping[str, Any], channel_id: str) -> str | None:
    """The ts of the newest message sharing the file in ``channel_id``, read from a
    ``files.info`` answer (``file.shares.public|private[channel_id][0].ts``); ``None`` while the
    share is not visible."""
    shares = (answer.get("file") or {}).get("shares") or {}
    for scope in ("public", "private"):
        entries = (shares.get(scope) or {}).get(channel_id) or []
        if entries and entries[0].get("ts"):
            return str(entries[0]["ts"])
    return None


async def _look(client: AsyncWebClient, file_id: str, channel_id: str) -> str | None:
    """One ``files.info`` call (scope ``files:read``). Raises :class:`_GiveUp` on a final
    error; transient failures (after slack_sdk's own retries) read as "not yet"."""
    try:
        answer = await client.files_info(file=file_id)
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        if error in FINAL_ERRORS:
            raise _GiveUp(error) from None
        log.info("files.info %s failed (%s); will ask again", file_id, error)
        return None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.info("files.info %s failed (%s); will ask again", file_id, type(exc).__name__)
        return None
    return ts_in(answer.data if isinstance(answer.data, dict) else {}, channel_id)


async def share_ts(
    client: AsyncWebClient, file_id: str, channel_id: str, *, timeout_s: float = 10.0
) -> str | None:
    """The ts of the message sharing ``file_id`` in ``channel_id``, from ``files.info``, asked
    again after 0.25 s, 0.5 s, 1 s, … (at most 4 s apart) until ``timeout_s`` seconds passed.

    Returns ``None`` when the share did not show in time or Slack says it never will
    (``file_not_found``, ``missing_scope``, …). Never raises for Slack or network errors.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    delay = FIRST_DELAY_S
    while True:
        try:
            ts = await _look(client, file_id, channel_id)
        except _GiveUp as exc:
            log.warning("cannot learn where file %s was shared: %s", file_id, exc)
            return None
        remaining = deadline - loop.time()
        if ts is not None or remaining <= 0:
            return ts
        await asyncio.sleep(min(delay, remaining))
        delay = min(delay * 2, MAX_DELAY_S)


@dataclass
class _Pending:
    key: str
    client: AsyncWebClient
    file_id: str
    channel_id: str
    deadline: float
    next_at: float
    delay: float
    found: asyncio.Future[str | None]
    urgent: bool = False  # someone's reply waits for it: looked for ahead of the others
    only_recorded: bool = False  # a reply in a thread: its ts is recorded, no reply needs it


class ShareTracker:
    """Learns, in the background, the ts of result messages and hands each to ``on_found(key,
    ts)`` (the conversation store records it). One worker task serves every pending result;
    lookups are paced at ``calls_per_s`` with at most ``max_concurrency`` in flight, each
    result is asked with exponential backoff (``first_delay_s`` doubling up to
    ``max_delay_s``), and dropped after ``timeout_s`` seconds. Pending results are kept in
    memory only: after a restart, or on another instance, a reply still finds its result by
    asking ``files.info`` itself (:mod:`bot.threads`).
    """

    def __init__(
        self,
        on_found: Callable[[str, str], Awaitable[None]],
        *,
        timeout_s: float = 300.0,
        calls_per_s: float = 2.0,
        max_concurrency: int = 4,
        first_delay_s: float = FIRST_DELAY_S,
        max_delay_s: float = MAX_DELAY_S,
        max_pending: int = 10_000,
    ) -> None:
        self._on_found = on_found
        self._timeout_s = timeout_s
        self._interval_s = 1.0 / calls_per_s
        self._slots = asyncio.Semaphore(max_concurrency)
        self._first_delay_s = first_delay_s
        self._max_delay_s = max_delay_s
        self._max_pending = max_pending
        self._pending: dict[str, _Pending] = {}
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._next_call = 0.0
        self._calls: set[asyncio.Task[None]] = set()
        self._in_flight: set[str] = set()

    @property
    def pending(self) -> int:
        """Results whose ts is still being looked for."""
        return len(self._pending)

    def track(
        self,
        key: str,
        client: AsyncWebClient,
        file_id: str,
        channel_id: str,
        *,
        only_recorded: bool = False,
    ) -> None:
        """Start looking for the message sharing ``file_id`` in ``channel_id``; ``key`` (the
        job id) names the result. Returns at once. Beyond ``max_pending`` results the new one is
        not tracked (a reply still finds it through ``files.info``). ``only_recorded``: a result
        posted in a thread, whose ts is only recorded (a reply finds it by its thread), looked
        for after the others."""
        if key in self._pending or len(self._pending) >= self._max_pending:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._pending[key] = _Pending(
            key=key,
            client=client,
            file_id=file_id,
            channel_id=channel_id,
            deadline=now + self._timeout_s,
            next_at=now + self._first_delay_s,
            delay=self._first_delay_s,
            found=loop.create_future(),
            only_recorded=only_recorded,
        )
        self._wake.set()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work(), name="imagine-share-tracker")

    def expedite(self, key: str) -> None:
        """Someone waits for ``key`` (a reply in its thread): look for it at the next paced
        call, ahead of every other result, and again soon after if it is not shared yet."""
        pending = self._pending.get(key)
        if pending is None:
            return
        pending.urgent = True
        pending.delay = self._first_delay_s
        pending.next_at = min(pending.next_at, asyncio.get_running_loop().time())
        self._wake.set()

    def is_tracking(self, key: str) -> bool:
        """Whether ``key`` is being looked for now."""
        return key in self._pending

    async def wait(self, key: str, timeout_s: float) -> str | None:
        """The ts found for ``key``, waiting up to ``timeout_s`` seconds; ``None`` when ``key``
        is not tracked here, was given up, or is not found in time."""
        pending = self._pending.get(key)
        if pending is None:
            return None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                return await asyncio.shield(pending.found)
        return None

    async def aclose(self) -> None:
        """Stop looking (at shutdown); waiters get ``None``."""
        await cancel_and_wait(self._worker)
        for task in list(self._calls):
            task.cancel()
        for pending in self._pending.values():
            if not pending.found.done():
                pending.found.set_result(None)
        self._pending.clear()

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            now = loop.time()
            idle = [p for p in self._pending.values() if p.key not in self._in_flight]
            if not any(p.next_at <= now for p in idle):
                upcoming = [p.next_at for p in idle]
                self._wake.clear()
                wait = max(min(upcoming) - now, 0.0) if upcoming else None
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
                continue
            await self._pace()
            await self._slots.acquire()
            # Chosen once the call may go, so a result someone waits for (expedite) goes next.
            now = loop.time()
            due = [
                p
                for p in self._pending.values()
                if p.key not in self._in_flight and p.next_at <= now
            ]
            if not due:
                self._slots.release()
                continue
            pending = min(due, key=lambda p: (not p.urgent, p.only_recorded, p.next_at))
            self._in_flight.add(pending.key)
            task = asyncio.create_task(self._check(pending))
            self._calls.add(task)
            task.add_done_callback(self._calls.discard)

    async def _pace(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        start = max(now, self._next_call)
        self._next_call = start + self._interval_s
        if start > now:
            await asyncio.sleep(start - now)

    async def _check(self, pending: _Pending) -> None:
        loop = asyncio.get_running_loop()
        try:
            ts = await _look(pending.client, pending.file_id, pending.channel_id)
        except _GiveUp as exc:
            log.warning("cannot learn where result %s was posted: %s", pending.key, exc)
            self._finish(pending, None)
            return
        finally:
            self._slots.release()
            self._in_flight.discard(pending.key)
        if ts is not None:
            try:
                await self._on_found(pending.key, ts)
            except Exception:
                log.exception("could not record where result %s was posted", pending.key)
            self._finish(pending, ts)
            return
        now = loop.time()
        if now >= pending.deadline:
            log.info("result %s: no share seen within %.0fs", pending.key, self._timeout_s)
            self._finish(pending, None)
            return
        pending.next_at = min(now + pending.delay, pending.deadline)
        pending.delay = min(pending.delay * 2, self._max_delay_s)
        self._wake.set()

    def _finish(self, pending: _Pending, ts: str | None) -> None:
        self._pending.pop(pending.key, None)
        if not pending.found.done():
            pending.found.set_result(ts)
        self._wake.set()
