"""What happens to a :class:`bot.jobs.Job` after the ack: generate, upload, offer Regenerate,
and tell the user about anything that went wrong. One INFO log line per job."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot import errors, messages
from bot.delivery import Progress, notify, post_regenerate_button, upload_images
from bot.errors import DeliveryError, ImagineError, OpenAIError
from bot.jobs import Job
from bot.openai.backends import ImageBackend, user_hash
from bot.regenerate import RegenerateEntry, RegenerateStore

log = logging.getLogger(__name__)


class JobRecorder(Protocol):
    """Receives a job's life cycle (the generation history store implements it)."""

    async def started(self, job: Job) -> None: ...

    async def finished(self, job: Job, *, outcome: str, error: BaseException | None) -> None: ...


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
        """Give the slot back, or stop waiting for it."""
        if self._acquiring is None:
            return
        if self._acquiring.done() and not self._acquiring.cancelled():
            self._slots.release()
        else:
            self._acquiring.cancel()
        self._acquiring = None


class Pipeline:
    """Runs jobs end to end. ``payload_slots`` bounds the jobs holding image bytes at once;
    ``job_timeout_s`` is each job's overall deadline (retries included)."""

    def __init__(
        self,
        *,
        slack: AsyncWebClient,
        backend: ImageBackend,
        regenerate: RegenerateStore,
        model: str,
        job_timeout_s: float,
        payload_slots: asyncio.Semaphore,
        recorder: JobRecorder | None = None,
    ) -> None:
        self._slack = slack
        self._backend = backend
        self._regenerate = regenerate
        self._model = model
        self._job_timeout_s = job_timeout_s
        self._payload_slots = payload_slots
        self._recorder = recorder

    async def run(self, job: Job) -> None:
        """Generate and deliver ``job``; every failure ends in a message to the requester.
        Cancellation (shutdown) propagates after the reactions are settled."""
        started = time.monotonic()
        queued_s = started - job.created_at
        destination = job.destination
        progress = Progress(self._slack, destination)
        lease = PayloadLease(self._payload_slots)
        outcome, error, delivered = "failed", None, 0
        generate_s = 0.0
        if self._recorder:
            await self._recorder.started(job)
        await progress.start()
        try:
            async with asyncio.timeout(self._job_timeout_s):
                generation = await self._backend.generate(
                    job.request,
                    user=user_hash(destination.team_id, destination.user_id),
                    on_answer=lease.acquire,
                )
                generate_s = time.monotonic() - started
                await upload_images(
                    self._slack,
                    destination,
                    generation.images,
                    caption=messages.caption(
                        destination.user_id,
                        [image.revised_prompt for image in generation.images],
                        regenerated=job.source == "regenerate",
                    ),
                    user_prompt=job.request.user_prompt,
                )
            lease.release()
            delivered = len(generation.images)
            outcome = "ok" if not generation.failures else "partial"
            key = await self._regenerate.put(
                RegenerateEntry(
                    request=job.request,
                    team_id=destination.team_id,
                    channel_id=destination.channel_id,
                    thread_ts=destination.thread_ts,
                )
            )
            await post_regenerate_button(self._slack, destination, key)
            if generation.failures:
                await notify(
                    self._slack,
                    destination,
                    messages.partial_failure(
                        len(generation.failures),
                        job.request.n,
                        messages.for_error(generation.failures[0]),
                    ),
                )
        except TimeoutError as exc:
            outcome, error = "timeout", exc
            await notify(self._slack, destination, messages.job_timed_out(self._job_timeout_s))
        except (OpenAIError, DeliveryError) as exc:
            outcome, error = type(exc).__name__, exc
            log.log(
                logging.ERROR if _is_admin_problem(exc) else logging.WARNING,
                "job %s failed: %s",
                job.id,
                exc,
            )
            await notify(self._slack, destination, messages.for_error(exc))
        except asyncio.CancelledError as exc:
            outcome, error = "interrupted", exc
            raise
        except ImagineError as exc:
            outcome, error = type(exc).__name__, exc
            await notify(self._slack, destination, messages.for_error(exc))
        finally:
            lease.release()
            if outcome != "interrupted":
                await progress.finish(ok=outcome in ("ok", "partial"))
            log.info(
                "job id=%s source=%s model=%s n=%d size=%s delivered=%d queued=%.2fs "
                "generate=%.2fs total=%.2fs outcome=%s",
                job.id,
                job.source,
                self._model,
                job.request.n,
                job.request.size,
                delivered,
                queued_s,
                generate_s,
                time.monotonic() - started,
                outcome,
            )
            if self._recorder:
                await self._recorder.finished(job, outcome=outcome, error=error)


def _is_admin_problem(exc: ImagineError) -> bool:
    return isinstance(
        exc,
        (
            errors.AuthenticationError,
            errors.PermissionDeniedError,
            errors.ModelNotFoundError,
            errors.BadRequestError,
            errors.InsufficientQuotaError,
        ),
    )
