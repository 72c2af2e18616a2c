"""Every result is the start of a conversation in its thread (issue #8).

:class:`Threads` ties the conversation store (:class:`bot.store.ConversationStore`) to Slack:

- :meth:`Threads.delivered`: after the upload, record the result as a turn (its images' Slack
  file ids and OpenAI response ids) in the thread it went to; a result posted at a channel's top
  level starts its own thread, whose root is the result message itself, learnt in the background
  by the :class:`bot.shares.ShareTracker` (off the job's critical path).
- :meth:`Threads.in_thread`: the latest result in the thread a reply was posted in. A reply that
  arrives before the result's ts is known (or on another instance, or after a restart) still
  finds it: the channel's pending results are looked up in ``files.info`` (waiting briefly for
  the tracker when it is already on it).
- :meth:`Threads.root_of`: the thread an edit or variation of a result goes to.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.jobs import Destination, Job
from bot.openai.backends import Generation
from bot.shares import ShareTracker, share_ts
from bot.store.conversations import ConversationStore, Turn, TurnImage

log = logging.getLogger(__name__)

PENDING_WINDOW = timedelta(hours=1)
PENDING_LOOKUPS = 5
REPLY_WAIT_S = 5.0


class Threads:
    """Conversation state in Slack threads (see the module docstring). ``model`` is recorded on
    each turn (IMAGE_MODEL)."""

    def __init__(self, store: ConversationStore, tracker: ShareTracker, *, model: str) -> None:
        self.store = store
        self.tracker = tracker
        self._model = model
        # (team, channel) -> job id -> set once the job's result is recorded (or given up)
        self._uploading: dict[tuple[str, str], dict[str, asyncio.Event]] = {}
        # (team, channel, thread root) -> job id -> set once that job (an edit, or any result
        # going to the thread) has ended
        self._editing: dict[tuple[str, str, str], dict[str, asyncio.Event]] = {}

    def take_place(self, destination: Destination) -> Place:
        """An instruction in ``destination``'s thread takes its place in line: it continues the
        edits queued or running here before it (:meth:`Place.wait`), and the ones after it
        continue from it. The place passes to its job (:meth:`Place.become`) and ends at
        :meth:`settled`; one left without a job ends at :meth:`Place.leave`."""
        key = (destination.team_id, destination.channel_id, destination.thread_ts or "")
        in_thread = self._editing.setdefault(key, {})
        before = list(in_thread.values())
        token = f"place-{uuid.uuid4().hex}"
        in_thread[token] = asyncio.Event()
        return Place(self._editing, key, token, before)

    def making(self, job: Job) -> None:
        """``job`` (accepted, with its images going to a thread) is now in its thread's line: a
        reply there that names no image waits for it and continues from its result, also when
        it is the thread's first result (a mention's, a message shortcut's). :meth:`settled`
        ends it."""
        d = job.destination
        if d.thread_ts:
            self._editing.setdefault((d.team_id, d.channel_id, d.thread_ts), {}).setdefault(
                job.id, asyncio.Event()
            )

    def busy(self, team_id: str, channel_id: str, thread_ts: str) -> bool:
        """Whether a result for the thread rooted at ``thread_ts`` is queued or being made
        here."""
        return bool(self._editing.get((team_id, channel_id, thread_ts)))

    def uploading(self, job: Job) -> None:
        """``job``'s images are being posted now: a reply in its channel waits for its turn to
        be recorded before deciding the thread has no result (a reply can follow a result
        within milliseconds)."""
        key = (job.destination.team_id, job.destination.channel_id)
        self._uploading.setdefault(key, {}).setdefault(job.id, asyncio.Event())

    def settled(self, job: Job) -> None:
        """``job`` is recorded or will not be (failed, cancelled). Safe to call more than
        once."""
        d = job.destination
        _release(self._uploading, (d.team_id, d.channel_id), job.id)
        _release(self._editing, (d.team_id, d.channel_id, d.thread_ts or ""), job.id)

    async def delivered(
        self, client: AsyncWebClient, job: Job, generation: Generation, file_ids: Sequence[str]
    ) -> Turn | None:
        """Record ``job``'s delivered images (``file_ids`` in upload order) as a turn; for a
        top-level result, start learning its message ts. Returns the turn, ``None`` when Slack
        named no files (nothing to continue from)."""
        try:
            return await self._record(client, job, generation, file_ids)
        finally:
            self.settled(job)

    async def _record(
        self, client: AsyncWebClient, job: Job, generation: Generation, file_ids: Sequence[str]
    ) -> Turn | None:
        if not file_ids:
            return None
        destination = job.destination
        images = [
            TurnImage(
                file_id=file_id,
                response_id=getattr(image, "response_id", None),
                revised_prompt=image.revised_prompt,
            )
            for file_id, image in zip(file_ids, generation.images, strict=False)
        ]
        turn = Turn(
            job_id=job.id,
            team_id=destination.team_id,
            channel_id=destination.channel_id,
            thread_ts=destination.thread_ts,
            message_ts=None,
            parent_id=job.parent_id,
            user_id=destination.user_id,
            source=job.source,
            model=self._model,
            user_prompt=job.request.user_prompt,
            prompt=job.request.prompt,
            request=job.request.to_dict(),
            images=images,
        )
        await self.store.record(turn)
        self.tracker.track(
            job.id,
            client,
            file_ids[0],
            destination.channel_id,
            only_recorded=destination.thread_ts is not None,  # its thread is known already
        )
        return turn

    async def actions_posted(self, turn: Turn, actions_ts: str) -> None:
        """``turn`` is a top-level result whose actions were posted as the message
        ``actions_ts`` right under its images: a reply in that message's thread refines the
        result too. A database error is logged (the result is delivered already)."""
        try:
            await self.store.actions_posted(turn.job_id, actions_ts)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("could not record the actions message of %s: %s", turn.job_id, exc)

    async def in_thread(
        self,
        client: AsyncWebClient,
        team_id: str,
        channel_id: str,
        thread_ts: str,
        *,
        wait_s: float = REPLY_WAIT_S,
    ) -> Turn | None:
        """The latest result in the thread rooted at ``thread_ts``, or ``None`` when the thread
        has none. Results being posted in the channel right now are waited for first (a reply
        can follow a result within milliseconds); known threads then cost one query; otherwise
        the channel's results of the last hour whose message ts
        is still unknown (at most 5, newest first) are located, waiting up to ``wait_s``
        seconds."""
        posting = list(self._uploading.get((team_id, channel_id), {}).values())
        # a result (maybe the latest version here) may be being posted right now
        await _wait_all(posting, wait_s)
        turn = await self.store.latest(team_id, channel_id, thread_ts)
        if turn is not None:
            return turn
        pending = await self.store.pending(
            team_id, channel_id, within=PENDING_WINDOW, limit=PENDING_LOOKUPS
        )
        if not pending:
            return None
        lookups = [asyncio.ensure_future(self._locate(client, p, wait_s)) for p in pending]
        try:
            for lookup in asyncio.as_completed(lookups):
                if await lookup == thread_ts:
                    return await self.store.latest(team_id, channel_id, thread_ts)
        finally:
            for lookup in lookups:
                lookup.cancel()
            await asyncio.wait(lookups)  # a cancellation of the caller still propagates
        return None

    async def root_of(
        self, client: AsyncWebClient, turn: Turn, *, wait_s: float = 10.0
    ) -> str | None:
        """The root ts of ``turn``'s thread (where its edits go); for a top-level result whose
        message ts is not known yet, located first (up to ``wait_s`` seconds). ``None`` when it
        cannot be found."""
        if turn.thread_ts is not None:
            return turn.thread_ts
        return await self._locate(client, turn, wait_s)

    async def get(self, job_id: str) -> Turn | None:
        """The turn of ``job_id`` (from a button's value), ``None`` when unknown or expired."""
        return await self.store.get(job_id)

    async def _locate(self, client: AsyncWebClient, turn: Turn, wait_s: float) -> str | None:
        if self.tracker.is_tracking(turn.job_id):
            self.tracker.expedite(turn.job_id)  # a reply waits: ahead of the other results
            ts = await self.tracker.wait(turn.job_id, wait_s)
            return ts or await self._stored_ts(turn)
        if not turn.images:
            return None
        ts = await share_ts(client, turn.images[0].file_id, turn.channel_id, timeout_s=wait_s)
        if ts is not None:
            await self.store.located(turn.job_id, ts)
        return ts

    async def _stored_ts(self, turn: Turn) -> str | None:
        fresh = await self.store.get(turn.job_id)
        return fresh.thread_ts if fresh is not None else None

    async def aclose(self) -> None:
        """Stop the background lookups."""
        await self.tracker.aclose()


async def _wait_all(events: list[asyncio.Event], timeout_s: float) -> None:
    """Wait until every one of ``events`` is set, at most ``timeout_s`` seconds."""
    if not events:
        return
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout_s)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _release(waits: dict[Any, dict[str, asyncio.Event]], key: Any, job_id: str) -> None:
    """Set and forget ``job_id``'s event under ``key`` of ``waits``."""
    jobs = waits.get(key, {})
    event = jobs.pop(job_id, None)
    if event is not None:
        event.set()
    if not jobs:
        waits.pop(key, None)


class Place:
    """An instruction's place in its thread's line (:meth:`Threads.take_place`): ``before``
    are the events of the jobs ahead of it (edits, or the thread's first result)."""

    def __init__(
        self,
        waits: dict[tuple[str, str, str], dict[str, asyncio.Event]],
        key: tuple[str, str, str],
        token: str,
        before: list[asyncio.Event],
    ) -> None:
        self._waits, self._key, self._token, self.before = waits, key, token, before
        self._given = False

    @property
    def pending(self) -> bool:
        """Whether a job ahead has not ended yet."""
        return not all(event.is_set() for event in self.before)

    async def wait(self, timeout_s: float) -> None:
        """Wait until the jobs ahead have ended, at most ``timeout_s`` seconds."""
        await _wait_all(self.before, timeout_s)

    def become(self, job: Job) -> None:
        """The place is ``job``'s now: :meth:`Threads.settled` ends it."""
        in_thread = self._waits.get(self._key, {})
        if self._token in in_thread:
            in_thread[job.id] = in_thread.pop(self._token)
        self._given = True

    def leave(self) -> None:
        """Give the place up when no job came of it; nothing once it is a job's. Safe to
        repeat."""
        if not self._given:
            _release(self._waits, self._key, self._token)
