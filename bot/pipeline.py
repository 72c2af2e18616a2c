"""What happens to a :class:`bot.jobs.Job` after the ack: generate, upload, offer Regenerate,
and tell the user about anything that went wrong. One INFO log line per job."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot import errors, messages
from bot.cancel import cancel_blocks
from bot.clients import SlackClients
from bot.delivery import Progress, notify, post_regenerate_button, upload_images
from bot.jobs import Job, JobResult
from bot.metrics import Metrics
from bot.openai.backends import Generation, ImageBackend, user_hash
from bot.openai.pacing import JobClock, Pacer, Ticket, current_ticket
from bot.regenerate import RegenerateStore, regenerate_key
from bot.result_actions import per_image_elements
from bot.store.pricing import PriceTable, micro_to_usd
from bot.threads import Threads

log = logging.getLogger(__name__)

ADMIN_PROBLEMS = (
    errors.AuthenticationError,
    errors.PermissionDeniedError,
    errors.ModelNotFoundError,
    errors.BadRequestError,
    errors.InsufficientQuotaError,
)


class JobJournal(Protocol):
    """Keeps accepted jobs until they end, so a restart can resume them
    (:class:`bot.store.journal.Journal`)."""

    async def delivering(self, job_id: str) -> bool:
        """The job's images are about to be posted: it must never run again. ``False`` when its
        owner cancelled it meanwhile (on another instance): nothing may be posted."""

    async def done(self, job_id: str) -> None:
        """The job ended."""


class JobRecorder(Protocol):
    """Receives a job's life cycle (the generation history store implements it)."""

    async def started(self, job: Job) -> None:
        """``job`` begins, before OpenAI is called."""

    async def record_generation(self, job: Job, generation: Generation) -> None:
        """``job``'s images were delivered: revised prompts, usage, failures (no bytes)."""

    async def finished(self, job: Job, *, outcome: str, error: BaseException | None) -> None:
        """``job`` ended: ``outcome`` is ``ok``, ``partial``, ``timeout``, ``interrupted`` or an
        error class name; ``error`` the exception, if any."""


class PayloadLease:
    """Holds one of a bounded number of "payload slots" from the moment the first image answer
    arrives until the job has uploaded its images, so that only so many jobs keep image bytes
    in memory at once. ``acquire`` may be awaited many times (n concurrent calls); it takes the
    slot once."""

    def __init__(self, slots: asyncio.Semaphore) -> None:
        self._slots = slots
        self._acquiring: asyncio.Task[bool] | None = None

    async def acquire(self) -> None:
        """Take the slot (once); later calls wait for the same acquisition."""
        if self._acquiring is None:
            self._acquiring = asyncio.ensure_future(self._slots.acquire())
        await asyncio.shield(self._acquiring)

    def release(self) -> None:
        """Give the slot back, or stop waiting for it. Safe to call more than once."""
        if self._acquiring is None:
            return
        if self._acquiring.done() and not self._acquiring.cancelled():
            self._slots.release()
        else:
            self._acquiring.cancel()
        self._acquiring = None


class Pipeline:
    """Runs jobs end to end. ``clients`` gives each job the Slack client of its own workspace
    (:meth:`bot.clients.SlackClients.for_team`; ``slack`` alone: one client for every job);
    ``payload_slots`` bounds the jobs holding image bytes at once;
    ``job_timeout_s`` is each job's overall deadline (retries included), counted from its first
    call admitted by ``pacer`` (at once without a pacer) and paused while it waits for OpenAI
    capacity, at most ``max_wait_s`` in all; ``journal``, when set, keeps each job until it
    ends (a job interrupted by shutdown before its images were posted stays there, to resume);
    ``recorder``, when set, is told each job's start,
    result and end; ``metrics``, when set, counts each job's outcome, times it, and adds its
    estimated cost (``prices``) to the spend; ``threads``, when set, records each delivered
    result as a turn of its thread's conversation."""

    def __init__(
        self,
        *,
        clients: SlackClients | None = None,
        slack: AsyncWebClient | None = None,
        backend: ImageBackend,
        regenerate: RegenerateStore,
        model: str,
        job_timeout_s: float,
        payload_slots: asyncio.Semaphore,
        recorder: JobRecorder | None = None,
        threads: Threads | None = None,
        metrics: Metrics | None = None,
        prices: PriceTable | None = None,
        pacer: Pacer | None = None,
        max_wait_s: float = 900.0,
        journal: JobJournal | None = None,
    ) -> None:
        self._journal = journal
        self._metrics = metrics
        self._prices = prices or PriceTable.default()
        self._pacer = pacer
        self._max_wait_s = max_wait_s
        if clients is None:
            if slack is None:
                raise TypeError("Pipeline needs clients (or one slack client)")
            clients = SlackClients(slack)  # one workspace
        self._clients = clients
        self._backend = backend
        self._regenerate = regenerate
        self._model = model
        self._job_timeout_s = job_timeout_s
        self._payload_slots = payload_slots
        self._recorder = recorder
        self._threads = threads

    async def run(self, job: Job) -> None:
        """Generate and deliver ``job``. Every failure ends in a message to the requester; a
        job its owner cancelled ends ``cancelled`` without a word (the Cancel button answered);
        cancellation at shutdown propagates, and the server tells the owner. A workspace that
        uninstalled the app meanwhile cannot be told: its job is recorded and dropped."""
        started = time.monotonic()
        destination = job.destination
        try:
            slack = await self._clients.for_team(destination.team_id, destination.enterprise_id)
        except errors.NotInstalledError as exc:
            log.warning("job %s dropped: team %s has no installation", job.id, exc.team_id)
            await self._ended_early(job, type(exc).__name__, exc, started, messages.NOT_INSTALLED)
            return
        except asyncio.CancelledError:
            if not job.control.cancelled:
                raise  # shutdown
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # cancelled by its owner: this task ends normally
            await self._ended_early(job, "cancelled", None, started, messages.CANCELLED)
            return
        await self._run(job, slack, started)

    async def _ended_early(
        self,
        job: Job,
        outcome: str,
        error: BaseException | None,
        started: float,
        error_text: str,
    ) -> None:
        """``job`` ended before it could start (its workspace uninstalled the app, or its owner
        cancelled it): recorded, out of the journal and of its thread's line, its watcher told."""
        if self._threads is not None:
            self._threads.settled(job)
        if self._recorder:
            await self._recorder.started(job)
            await self._recorder.finished(job, outcome=outcome, error=error)
        await self._journal_done(job)
        self._log(job, started, 0, outcome)
        if self._metrics is not None:
            self._metrics.job_done(
                job.source, self._model, job.request.quality, outcome, job.created_at
            )
        if job.watch:
            job.watch.settle(JobResult(outcome, error_text=error_text))

    async def _run(self, job: Job, slack: AsyncWebClient, started: float) -> None:
        progress = Progress(slack, job.destination)
        outcome, delivered = "failed", 0
        error: BaseException | None = None
        result = JobResult("failed", error_text=messages.UNEXPECTED)
        try:  # a Cancel may come at any await from here on
            if self._recorder:
                await self._recorder.started(job)
            await progress.start()
            generation, file_ids = await self._generate_and_upload(job, slack)
            delivered = len(generation.images)
            outcome = "partial" if generation.failures else "ok"
            result = JobResult(outcome, generation=generation, file_ids=tuple(file_ids))
            await self._after_delivery(job, generation, file_ids, slack)
        except TimeoutError as exc:
            outcome, error = "timeout", exc
            result = JobResult(outcome, error_text=messages.job_timed_out(self._job_timeout_s))
            await self._tell(job, result.error_text, slack)
        except errors.ImagineError as exc:
            outcome, error = type(exc).__name__, exc
            admin = isinstance(exc, ADMIN_PROBLEMS)
            admin = admin and not isinstance(exc, errors.InputImageRejectedError)  # the image's
            level = logging.ERROR if admin else logging.WARNING
            log.log(level, "job %s failed: %s", job.id, exc)
            result = JobResult(outcome, error_text=messages.for_error(exc))
            await self._tell(job, result.error_text, slack)
        except asyncio.CancelledError as exc:
            if not job.control.cancelled:
                outcome, error = "interrupted", exc
                result = JobResult(outcome, error_text=messages.JOB_INTERRUPTED)
                raise
            outcome = "cancelled"
            result = JobResult(outcome, error_text=messages.CANCELLED)
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # cancelled by its owner: this task ends normally
        finally:
            if self._threads is not None:
                self._threads.settled(job)
            if outcome == "cancelled":
                await progress.stop()
            elif outcome != "interrupted":
                await progress.finish(ok=outcome in ("ok", "partial"))
            resumes = outcome == "interrupted" and job.control.resumable
            resumes = resumes and not job.control.delivering
            if not resumes:
                await self._journal_done(job)
            self._log(job, started, delivered, outcome)
            if self._metrics is not None:
                self._metrics.job_done(
                    job.source, self._model, job.request.quality, outcome, job.created_at
                )
            if self._recorder and not resumes:  # a job to resume stays "running" until then
                await self._recorder.finished(job, outcome=outcome, error=error)
            if job.watch:
                job.watch.settle(result)

    async def _may_deliver(self, job: Job) -> bool:
        """``journal.delivering`` for ``job``: ``False`` when its owner cancelled it on another
        instance. A journal failure is logged and the images are posted (the user is waiting
        for them; at worst a restart tells the owner once more)."""
        if self._journal is None:
            return True
        try:
            return await self._journal.delivering(job.id)
        except Exception:
            log.exception("journal delivering failed for job %s", job.id)
            return True

    async def _journal_done(self, job: Job) -> None:
        """``journal.done`` for ``job``; a failure is logged (at worst a restart tells its
        owner about it once more)."""
        if self._journal is None:
            return
        try:
            await self._journal.done(job.id)
        except Exception:
            log.exception("journal done failed for job %s", job.id)

    async def _generate_and_upload(
        self, job: Job, slack: AsyncWebClient
    ) -> tuple[Generation, list[str]]:
        """Generate the images and upload them as one message, within the job's deadline and
        holding a payload slot from the first answer (or from the download of input images) to
        the end of the upload. Returns the generation without its image bytes, and the uploaded
        files' ids."""
        destination = job.destination
        lease = PayloadLease(self._payload_slots)

        async def tell_wait(estimate_s: float) -> None:
            if job.watch is not None:  # a workflow step: its watcher tells of the outcome
                return
            text = messages.waiting_for_capacity(estimate_s)
            await notify(slack, destination, text, cancel_blocks(text, job.id))

        try:
            async with asyncio.timeout(None) as deadline:
                clock = JobClock(deadline, self._job_timeout_s)
                if self._pacer is None:
                    clock.run()
                ticket = Ticket(self._max_wait_s, notify=tell_wait, clock=clock)
                token = current_ticket.set(ticket)
                try:
                    generation = await self._backend.generate(
                        job.request,
                        user=user_hash(destination.team_id, destination.user_id),
                        on_answer=lease.acquire,
                        inputs=job.inputs,
                    )
                finally:
                    current_ticket.reset(token)
                job.control.delivering = True
                if not await self._may_deliver(job):  # cancelled on another instance
                    job.control.delivering = False
                    job.control.cancelled = True
                    raise asyncio.CancelledError()  # ends "cancelled", as a Cancel here does
                if self._threads is not None:
                    self._threads.uploading(job)
                file_ids = await upload_images(
                    slack,
                    destination,
                    generation.images,
                    caption=messages.result_caption(
                        destination.user_id,
                        [image.revised_prompt for image in generation.images],
                        source=job.source,
                        instruction=job.request.user_prompt,
                        image=job.parent_image,
                        named=job.image_named,
                    ),
                    user_prompt=job.request.user_prompt,
                )
        finally:
            lease.release()
        return generation.without_data(), file_ids

    async def _after_delivery(
        self, job: Job, generation: Generation, file_ids: list[str], slack: AsyncWebClient
    ) -> None:
        """Record the result (history, and its thread's conversation), offer Regenerate and the
        per-image actions, and tell the user about images that failed."""
        if self._recorder:
            await self._recorder.record_generation(job, generation)
        if self._metrics is not None:
            cost = self._prices.generation_micro(
                self._model,
                job.request.quality,
                job.request.size,
                len(generation.images),
                input_tokens=generation.usage.input_tokens,
                output_tokens=generation.usage.output_tokens,
            )
            self._metrics.spend_usd.labels(self._model).inc(micro_to_usd(cost))
        destination = job.destination
        turn = None
        if self._threads is not None:
            turn = await self._threads.delivered(slack, job, generation, file_ids)
        # Regenerate runs the request again as it was, from the same images for an edit,
        # variations or people's files (bot.regenerate.Continuation).
        key = await regenerate_key(self._regenerate, job)
        extra = per_image_elements(job.id, len(turn.images)) if turn is not None else []
        actions_ts = await post_regenerate_button(slack, destination, key, extra)
        if turn is not None and actions_ts and destination.thread_ts is None and self._threads:
            await self._threads.actions_posted(turn, actions_ts)  # its thread refines too
        if generation.failures:
            reason = messages.for_error(generation.failures[0])
            await self._tell(
                job,
                messages.partial_failure(len(generation.failures), job.request.n, reason),
                slack,
            )

    async def _tell(self, job: Job, text: str | None, slack: AsyncWebClient) -> None:
        """Tell the requester ``text`` ephemerally, unless a watcher tells them (workflow)."""
        if text and job.watch is None:
            await notify(slack, job.destination, text)

    def _log(self, job: Job, started: float, delivered: int, outcome: str) -> None:
        now = time.monotonic()
        log.info(
            "job id=%s source=%s model=%s n=%d size=%s quality=%s delivered=%d "
            "queued=%.2fs run=%.2fs outcome=%s",
            job.id,
            job.source,
            self._model,
            job.request.n,
            job.request.size,
            job.request.quality,
            delivered,
            started - job.created_at,
            now - started,
            outcome,
        )
