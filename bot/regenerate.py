"""What a Regenerate button refers to.

A button's ``value`` is capped at 2000 characters (platform.md, "Modals"), so it holds a short
random key; the request and the place it was posted are kept by a :class:`RegenerateStore` (the
database store, :class:`bot.store.Store`, so buttons survive restarts), keyed by it. An unknown
key tells the user the button expired.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

from bot.jobs import Destination, Job
from bot.request import ImageRequest


@dataclass(frozen=True)
class Continuation:
    """What a Regenerate of a result that started from images starts from again (issue #8):
    ``source`` of the new job (``edit`` and ``variation`` keep theirs, so the caption says what
    changed; a request with people's images becomes ``regenerate``), the job whose image it
    continued (``parent_id``), that image's number (1-based, ``parent_image``) and whether the
    person named it, and the Slack file ids of people's images it sent (``files``)."""

    source: str
    parent_id: str | None = None
    parent_image: int | None = None
    image_named: bool = False
    files: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (the database keeps it)."""
        return {**asdict(self), "files": list(self.files)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Continuation:
        """The continuation :meth:`to_dict` described. Raises ``TypeError`` or ``ValueError``
        for data of another shape."""
        return cls(**{**data, "files": tuple(str(f) for f in data.get("files", ()))})


@dataclass(frozen=True)
class RegenerateEntry:
    """The request to run again and where its images went (``thread_ts`` may be ``None``);
    ``continues`` is set when it started from images (an edit, variations, people's files)."""

    request: ImageRequest
    team_id: str
    channel_id: str
    thread_ts: str | None
    continues: Continuation | None = None

    @classmethod
    def of(cls, job: Job) -> RegenerateEntry | None:
        """The entry that runs ``job``'s request again where its images went, from the same
        images; ``None`` when those images are reachable only in this process's memory."""
        continues = None
        if job.parent_id is not None or job.input_files:
            source = job.source if job.source in ("edit", "variation") else "regenerate"
            continues = Continuation(
                source=source,
                parent_id=job.parent_id,
                parent_image=job.parent_image,
                image_named=job.image_named,
                files=tuple(job.input_files),
            )
        elif job.inputs is not None:
            return None
        destination = job.destination
        return cls(
            request=job.request,
            team_id=destination.team_id,
            channel_id=destination.channel_id,
            thread_ts=destination.thread_ts,
            continues=continues,
        )

    def job_for(self, destination: Destination) -> Job:
        """The job that runs the request again for ``destination`` (whoever clicked): source
        ``regenerate``, or for one that started from images the continuation's source, parent
        and files, its inputs still to be made (:func:`bot.edits.with_inputs_again`)."""
        continues = self.continues
        if continues is None:
            return Job(request=self.request, destination=destination, source="regenerate")
        return Job(
            request=self.request,
            destination=destination,
            source=continues.source,  # type: ignore[arg-type]
            parent_id=continues.parent_id,
            parent_image=continues.parent_image,
            image_named=continues.image_named,
            input_files=continues.files,
        )


class RegenerateStore(Protocol):
    """Keeps :class:`RegenerateEntry` values under short keys (at most 22 URL-safe characters)."""

    async def put(self, entry: RegenerateEntry) -> str:
        """Keep ``entry``; return its new key."""

    async def get(self, key: str) -> RegenerateEntry | None:
        """The entry under ``key``; ``None`` when unknown or forgotten."""


async def regenerate_key(store: RegenerateStore, job: Job) -> str | None:
    """Keep the entry that runs ``job`` again in ``store`` and return its key; ``None`` (no
    Regenerate button) when it cannot run again (:meth:`RegenerateEntry.of`)."""
    entry = RegenerateEntry.of(job)
    return await store.put(entry) if entry is not None else None
