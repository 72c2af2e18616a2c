"""A :class:`bot.jobs.Job` as plain JSON data, and back, so that an accepted request survives a
restart (:mod:`bot.store.journal`, :mod:`bot.resume`).

What is kept: the request (:meth:`bot.request.ImageRequest.to_dict`), the destination (team,
channel, user, thread, ``response_url`` and the source message), the source, the job id, and
for a job that starts from images the parent job and which of its images, and the Slack file
ids of people's images (``input_files``): :func:`bot.edits.inputs_again` makes its inputs again
(:func:`needs_inputs`). A workflow step's job (its step waits for it in this process's memory)
cannot be rebuilt: :func:`payload_of` says so, and a restart falls back to the notice for it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.jobs import Destination, Job, JobControl
from bot.request import ImageRequest

VERSION = 1
EDIT_FIELDS = ("parent_id", "parent_image", "image_named")  # plain values on Job (issue #8)
DESTINATION_FIELDS = tuple(field.name for field in dataclasses.fields(Destination))  # all plain


def payload_of(job: Job) -> tuple[dict[str, Any], bool]:
    """``job`` as JSON-ready data, and whether it can be rebuilt from it after a restart."""
    payload: dict[str, Any] = {
        "v": VERSION,
        "id": job.id,
        "source": job.source,
        "request": job.request.to_dict(),
        "destination": {name: getattr(job.destination, name) for name in DESTINATION_FIELDS},
    }
    for name in EDIT_FIELDS:  # which earlier result an edit starts from, and how it was named
        value = getattr(job, name, None)
        if value is not None:
            payload[name] = value
    files = getattr(job, "input_files", ())
    if files:  # people's images, by Slack file id
        payload["input_files"] = list(files)
    if getattr(job, "watch", None) is not None:
        return payload, False  # a workflow step waits for it in this process's memory
    inputs = getattr(job, "inputs", None)
    if inputs is None or job.parent_id is not None or files:
        return payload, True  # inputs made again from the parent and the files (inputs_again)
    if getattr(inputs, "images", None) is not None:
        return payload, False  # the images to send are reachable only through a callable
    payload["inputs"] = {
        "previous_response_id": getattr(inputs, "previous_response_id", None),
        "action": getattr(inputs, "action", "auto"),
    }
    return payload, True


def job_from(payload: dict[str, Any]) -> Job | None:
    """The :class:`Job` ``payload`` describes (marked resumed), ``None`` when this version of the
    app cannot rebuild it (an unknown version or shape)."""
    try:
        if payload.get("v") != VERSION:
            return None
        extra: dict[str, Any] = {}
        fields = {f.name for f in dataclasses.fields(Job)}
        if "inputs" in payload:
            if "inputs" not in fields:
                return None
            from bot.openai.generation import EditInputs

            extra["inputs"] = EditInputs(**payload["inputs"])
        for name in EDIT_FIELDS:
            if name in payload:
                if name not in fields:
                    return None
                extra[name] = payload[name]
        if "input_files" in payload:
            extra["input_files"] = tuple(str(file_id) for file_id in payload["input_files"])
        return Job(
            request=ImageRequest(**payload["request"]),
            destination=Destination(**payload["destination"]),
            source=payload["source"],
            id=str(payload["id"]),
            control=JobControl(resumed=True),
            **extra,
        )
    except (KeyError, TypeError, ValueError, ImportError):
        return None


def needs_inputs(job: Job) -> bool:
    """Whether ``job`` (from :func:`job_from`) starts from images whose inputs must be made
    again before it runs (:func:`bot.edits.inputs_again`)."""
    return job.inputs is None and (job.parent_id is not None or bool(job.input_files))
