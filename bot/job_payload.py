"""A :class:`bot.jobs.Job` as plain JSON data, and back, so that an accepted request survives a
restart (:mod:`bot.store.journal`, :mod:`bot.resume`).

What is kept: the request (:meth:`bot.request.ImageRequest.to_dict`), the destination (team,
channel, user, thread, ``response_url`` and the source message), the source, the job id, and
for an edit the ``previous_response_id``, ``action``, the parent job and which of its images.
A job whose inputs live only in memory (input images to download again through a callable, or
a workflow step waiting for it in this process) cannot be rebuilt:
:func:`payload_of` says so, and a restart falls back to the Regenerate notice for it.
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
    if getattr(job, "watch", None) is not None:
        return payload, False  # a workflow step waits for it in this process's memory
    inputs = getattr(job, "inputs", None)
    if inputs is not None:
        if getattr(inputs, "images", None) is not None:
            return payload, False  # the images to send are reachable only through a callable
        payload["inputs"] = {
            "previous_response_id": getattr(inputs, "previous_response_id", None),
            "action": getattr(inputs, "action", "auto"),
        }
    for name in EDIT_FIELDS:  # which earlier result an edit starts from, and how it was named
        value = getattr(job, name, None)
        if value is not None:
            payload[name] = value
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
