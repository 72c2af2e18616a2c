"""Edits: images made from an earlier image or the user's own (issue #8).

Source: platform.md, "Editing and continuing an image"; ``CreateResponse``, ``EasyInputMessage``,
``ImageGenTool`` and ``CreateImageEditRequest`` in ``shared/specs/openai-openapi.yaml``.

- **Responses API** (:func:`responses_edit`): with a ``previous_response_id``, continue that
  response with the instruction as ``input`` and the image generation tool sent again (tools and
  instructions are not carried over). When OpenAI answers 400 ``previous_response_not_found``
  (older than its 30 days, not stored, another API key), or when there is no id, send the
  image(s) themselves: one user message whose ``content`` is an ``input_text`` and one
  ``input_image`` per image (``data:<type>;base64,...``, ``detail: auto``). The fallback is
  automatic; the user never sees it.
- **Images API** (:func:`images_edit`): ``POST /images/edits`` as ``multipart/form-data`` with
  ``image[]`` files; never ``response_format`` (GPT Image models refuse it) and never
  ``moderation`` (not a field of ``CreateImageEditRequest``).
- ``input_fidelity`` ``high`` only for models that take it (gpt-image-1, gpt-image-1.5; omitted
  for gpt-image-2 and gpt-image-1-mini, per platform.md and the ``InputFidelity`` schema).

Input bytes are loaded lazily, at most once per generation, after ``on_answer`` (the pipeline's
payload slot) has been awaited; the encoded body is built once, off the event loop, and shared by
the n concurrent calls.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot import errors, messages
from bot.openai.client import OnAnswer
from bot.openai.codec_thread import in_codec_thread
from bot.openai.generation import EditInputs, Generation, gather_images
from bot.request import ImageRequest

if TYPE_CHECKING:
    from bot.inputs import InputImage
    from bot.openai.backends import ImagesBackend, ResponsesBackend

EDIT_INSTRUCTIONS = (
    "Create exactly one image by calling the image generation tool, following the user's "
    "instruction. The image(s) the user gave, or the last image of this conversation, are the "
    "starting point: keep everything the instruction does not ask to change."
)
#: Image models that take ``input_fidelity`` (``InputFidelity`` schema; platform.md: not
#: gpt-image-2).
INPUT_FIDELITY_MODELS = frozenset({"gpt-image-1", "gpt-image-1.5"})
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def data_url(image: InputImage) -> str:
    """``data:<type>;base64,<bytes>`` for an ``input_image`` (CPU work: call it off the loop)."""
    return f"data:{image.mimetype};base64,{base64.b64encode(image.data).decode('ascii')}"


def input_message(text: str, images: list[InputImage]) -> dict[str, Any]:
    """One user ``EasyInputMessage`` with ``text`` and ``images`` as list content."""
    content: list[dict[str, Any]] = [{"type": "input_text", "text": text}]
    content += [
        {"type": "input_image", "image_url": data_url(image), "detail": "auto"} for image in images
    ]
    return {"role": "user", "content": content}


def input_fidelity(model: str) -> str | None:
    """``high`` for the models that take ``input_fidelity``, else ``None`` (not sent)."""
    return "high" if model in INPUT_FIDELITY_MODELS else None


class _Once:
    """Awaits ``make()`` once, on first use; later and concurrent callers get the same result
    (or exception)."""

    def __init__(self, make: Callable[[], Awaitable[Any]]) -> None:
        self._make = make
        self._task: asyncio.Future[Any] | None = None

    async def get(self) -> Any:
        if self._task is None:
            self._task = asyncio.ensure_future(self._make())
        return await asyncio.shield(self._task)

    def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()


async def load_images(inputs: EditInputs, on_answer: OnAnswer | None) -> list[InputImage]:
    """``inputs.images()``, after taking the payload slot (``on_answer``). Raises
    :class:`bot.errors.InvalidResponseError` if there is nothing to load (a caller's bug)."""
    if inputs.images is None:
        raise errors.InvalidResponseError("no image to edit was given")
    if on_answer is not None:
        await on_answer()
    images = await inputs.images()
    if not images:
        raise errors.InvalidResponseError("no image to edit was given")
    return images


def _mark_edit(call: Callable[[], Awaitable[Generation]]) -> Callable[[], Awaitable[Generation]]:
    async def marked() -> Generation:
        try:
            return await call()
        except errors.ModerationBlockedError as exc:
            exc.edit = True
            raise

    return marked


async def responses_edit(
    backend: ResponsesBackend,
    request: ImageRequest,
    *,
    user: str,
    on_answer: OnAnswer | None,
    inputs: EditInputs,
) -> Generation:
    """``request.n`` edited images through the Responses API; see the module docstring.

    Raises what :meth:`bot.openai.backends.ResponsesBackend.generate` raises, plus
    :class:`bot.errors.PreviousResponseNotFoundError` when the response is gone and no images
    were given, and whatever ``inputs.images()`` raises (:class:`bot.errors.UserInputError`).
    """
    fidelity = input_fidelity(backend.caps.name)

    async def with_images() -> bytes:
        images = await load_images(inputs, on_answer)

        def encode() -> bytes:
            body = backend.body(
                request,
                user=user,
                input=[input_message(request.prompt, images)],
                action=inputs.action,
                input_fidelity=fidelity,
                instructions=EDIT_INSTRUCTIONS,
            )
            return json.dumps(body).encode()

        return await in_codec_thread(encode)

    fallback = _Once(with_images)
    continued = None
    if inputs.previous_response_id is not None:
        continued = backend.body(
            request,
            user=user,
            previous_response_id=inputs.previous_response_id,
            action=inputs.action,
            input_fidelity=fidelity,
            instructions=EDIT_INSTRUCTIONS,
        )

    async def one() -> Generation:
        if continued is not None:
            try:
                return await backend.call(continued, request.prompt, on_answer)
            except errors.PreviousResponseNotFoundError:
                if inputs.images is None:
                    raise
        labels = (backend.caps.name, request.quality)
        return await backend.call(await fallback.get(), request.prompt, on_answer, labels)

    try:
        return await gather_images([_mark_edit(one)] * request.n)
    finally:
        fallback.cancel()


async def images_edit(
    backend: ImagesBackend,
    request: ImageRequest,
    *,
    user: str,
    on_answer: OnAnswer | None,
    inputs: EditInputs,
) -> Generation:
    """``request.n`` edited images through ``POST /images/edits`` (multipart); the
    ``previous_response_id`` of ``inputs`` is ignored (the Images API has none). Raises
    :class:`bot.errors.UserInputError` when the configured model cannot edit (DALL·E), else
    what :meth:`bot.openai.backends.ImagesBackend.generate` raises."""
    caps = backend.caps
    if not caps.gpt_image:
        raise errors.UserInputError(messages.EDIT_NEEDS_GPT_IMAGE.format(model=caps.name))
    images = await load_images(inputs, on_answer)
    files = [
        ("image[]", (f"image-{i}.{_EXTENSIONS.get(image.mimetype, 'png')}", image.data,
                     image.mimetype))
        for i, image in enumerate(images, 1)
    ]  # fmt: skip

    def fields(n: int) -> dict[str, str]:
        form = {
            "model": caps.name,
            "prompt": request.prompt,
            "n": str(n),
            "size": request.size,
            "quality": request.quality,
            "output_format": "png",
            "user": user,
        }
        if request.background is not None:
            form["background"] = request.background
        fidelity = input_fidelity(caps.name)
        if fidelity is not None:
            form["input_fidelity"] = fidelity
        return form

    def call_for(n: int) -> Callable[[], Awaitable[Generation]]:
        async def one() -> Generation:
            raw = await backend.client.post_multipart(
                "images/edits", fields(n), files, on_answer=on_answer
            )
            return await backend.parse(raw, request.prompt)

        return _mark_edit(one)

    return await gather_images([call_for(n) for n in backend.counts(request.n)])
