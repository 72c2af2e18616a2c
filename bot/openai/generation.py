"""What a generation produced, and how concurrent calls are merged: :class:`GeneratedImage`,
:class:`Generation`, :class:`EditInputs` (what an edit starts from), :func:`gather_images`.
Shared by the backends (:mod:`bot.openai.backends`) and the edit paths (:mod:`bot.openai.edits`).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bot import errors
from bot.openai.models import Usage

if TYPE_CHECKING:
    from bot.inputs import InputImage

OUTPUT_FORMAT = "png"


@dataclass(frozen=True)
class GeneratedImage:
    """One image: ``data`` (encoded bytes), ``revised_prompt`` (what the model drew, else the
    prompt sent), ``output_format`` (``png``, ``jpeg`` or ``webp``), ``response_id`` (the
    Responses API response that drew it, which ``previous_response_id`` can continue for 30
    days; ``None`` from the Images API)."""

    data: bytes
    revised_prompt: str
    output_format: str = OUTPUT_FORMAT
    response_id: str | None = None


@dataclass(frozen=True)
class EditInputs:
    """What an edit starts from (issue #8), given to :meth:`ImageBackend.generate`.

    - ``previous_response_id``: the response that drew the image to edit (Responses API only);
      continued with the image generation tool sent again.
    - ``images``: loads the image(s) to send instead, as ``input_image`` items (Responses) or
      ``image[]`` files of ``POST /images/edits`` (Images API). Called at most once per
      generation and only when needed: when there is no ``previous_response_id``, when OpenAI
      answers 400 ``previous_response_not_found``, or with the Images API. The backend awaits
      ``on_answer`` (the pipeline's payload slot) *before* calling it, so downloaded bytes are
      held under the slot. May raise :class:`bot.errors.UserInputError` (bad files); must
      return at least one image.
    - ``action``: the image generation tool's ``action`` (``auto``, ``edit``, ``generate``).
    """

    previous_response_id: str | None = None
    images: Callable[[], Awaitable[list[InputImage]]] | None = None
    action: str = "auto"


@dataclass
class Generation:
    """What a request produced: ``images`` that succeeded, ``failures`` of the rest (k of n may
    fail), ``usage`` summed over the calls made."""

    images: list[GeneratedImage] = field(default_factory=list)
    failures: list[errors.ImagineError] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    def without_data(self) -> Generation:
        """A copy without the image bytes (revised prompts, formats, failures and usage kept),
        for what happens after the upload: the megabytes are not held a moment longer."""
        return Generation(
            images=[replace(image, data=b"") for image in self.images],
            failures=self.failures,
            usage=self.usage,
        )


def decode_b64(data: str) -> bytes:
    """Decode base64 image data; raises :class:`bot.errors.InvalidResponseError` if malformed."""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidResponseError("OpenAI sent image data that is not base64") from None


async def gather_images(
    calls: list[Callable[[], Awaitable[Generation]]],
) -> Generation:
    """Run ``calls`` concurrently and merge them; OpenAI failures, and calls given up after
    MAX_WAIT_S for capacity (:class:`bot.errors.CapacityWaitError`), are collected, so the
    images other calls made are still delivered; anything else (a bug) propagates. Raises the
    most telling failure when nothing at all was produced."""
    results = await asyncio.gather(*(call() for call in calls), return_exceptions=True)
    merged = Generation()
    for result in results:
        if isinstance(result, errors.OpenAIError | errors.CapacityWaitError):
            merged.failures.append(result)
        elif isinstance(result, BaseException):
            raise result
        else:
            merged.images.extend(result.images)
            merged.failures.extend(result.failures)
            merged.usage = _add_usage(merged.usage, result.usage)
    if not merged.images:
        raise _most_telling(merged.failures)
    return merged


def _most_telling(failures: list[errors.ImagineError]) -> errors.ImagineError:
    if not failures:
        return errors.InvalidResponseError("OpenAI returned no image")
    for kind in (
        errors.ModerationBlockedError,
        errors.InsufficientQuotaError,
        errors.AuthenticationError,
        errors.ModelNotFoundError,
    ):
        for failure in failures:
            if isinstance(failure, kind):
                return failure
    return failures[0]


def _add_usage(a: Usage, b: Usage | None) -> Usage:
    return a if b is None else a + b
