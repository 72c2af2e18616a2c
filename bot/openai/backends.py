"""Two ways to turn an :class:`bot.request.ImageRequest` into images, behind one interface.

- :class:`ResponsesBackend`: ``POST /responses`` with the ``image_generation`` tool forced by
  ``tool_choice``; one call gives one image and its ``revised_prompt``, so n images are n
  concurrent calls (platform.md, "Two endpoints").
- :class:`ImagesBackend`: ``POST /images/generations`` with ``n`` in one call where the model
  allows it, concurrent calls where it does not (dall-e-3).

Both take :class:`EditInputs` to edit instead of drawing from scratch: continue an earlier
response, or start from images (an earlier result, the user's own); see :mod:`bot.openai.edits`.

Request bodies follow ``CreateResponse`` / ``ImageGenTool`` and ``CreateImageRequest`` of
``shared/specs/openai-openapi.yaml``; only parameters the model's capabilities allow are sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from pydantic import ValidationError

from bot import errors
from bot.capabilities import ModelCapabilities
from bot.openai import edits
from bot.openai.client import MODERATION_CODES, MODERATION_TYPES, OnAnswer, OpenAIClient
from bot.openai.codec_thread import in_codec_thread
from bot.openai.generation import (
    OUTPUT_FORMAT,
    EditInputs,
    GeneratedImage,
    Generation,
    decode_b64,
    gather_images,
)
from bot.openai.models import ImagesResponse, ResponseObject, Usage
from bot.request import ImageRequest

__all__ = [
    "EditInputs",
    "GeneratedImage",
    "Generation",
    "ImageBackend",
    "ImagesBackend",
    "ResponsesBackend",
    "user_hash",
]

TOOL_INSTRUCTIONS = (
    "Create exactly one image for the user's description by calling the image generation tool. "
    "Keep every detail the user asked for."
)


class ImageBackend(Protocol):
    """Generates the images of a request. Raises the most telling
    :class:`bot.errors.OpenAIError` when no image at all could be made."""

    async def generate(
        self,
        request: ImageRequest,
        *,
        user: str,
        on_answer: OnAnswer | None = None,
        inputs: EditInputs | None = None,
    ) -> Generation:
        """Make ``request.n`` images. ``user`` is the one-way hash sent as OpenAI's ``user``;
        ``on_answer`` is awaited before each answer's body is read (see
        :meth:`bot.openai.client.OpenAIClient.post`) and before input images are loaded;
        ``inputs`` makes it an edit (:class:`EditInputs`). A refused edit raises
        :class:`bot.errors.ModerationBlockedError` with ``edit`` true."""


def user_hash(team_id: str, user_id: str) -> str:
    """A stable one-way identifier for OpenAI's ``user`` field: SHA-256 of team and user id,
    so abuse reports can be traced by us while Slack ids never leave the app."""
    digest = hashlib.sha256(f"imagine:{team_id}:{user_id}".encode()).hexdigest()
    return f"imagine-{digest[:32]}"


class ResponsesBackend:
    """Generates through the Responses API image generation tool; the caption uses each tool
    call's ``revised_prompt``. ``model`` is the mainline model, ``caps`` the image model's.

    Every response is stored (``store: true``) so that it can be continued with
    ``previous_response_id``; OpenAI keeps stored responses for 30 days (platform.md).
    """

    def __init__(
        self,
        client: OpenAIClient,
        *,
        model: str,
        caps: ModelCapabilities,
        moderation: str = "auto",
    ) -> None:
        self._client = client
        self._model = model
        self._caps = caps
        self._moderation = moderation

    @property
    def caps(self) -> ModelCapabilities:
        """The image model's capabilities."""
        return self._caps

    def body(
        self,
        request: ImageRequest,
        *,
        user: str,
        input: str | list[dict[str, Any]] | None = None,  # noqa: A002 - OpenAI's field name
        previous_response_id: str | None = None,
        action: str | None = None,
        input_fidelity: str | None = None,
        instructions: str = TOOL_INSTRUCTIONS,
    ) -> dict[str, Any]:
        """The ``CreateResponse`` body for one image of ``request``: ``input`` defaults to the
        prompt; ``previous_response_id``, the tool's ``action`` and ``input_fidelity`` are sent
        when given (edits, :mod:`bot.openai.edits`)."""
        tool: dict[str, Any] = {
            "type": "image_generation",
            "model": self._caps.name,
            "size": request.size,
            "quality": request.quality,
            "output_format": OUTPUT_FORMAT,
            "moderation": self._moderation,
        }
        if request.background is not None:
            tool["background"] = request.background
        if action is not None:
            tool["action"] = action
        if input_fidelity is not None:
            tool["input_fidelity"] = input_fidelity
        body: dict[str, Any] = {
            "model": self._model,
            "instructions": instructions,
            "input": request.prompt if input is None else input,
            "tools": [tool],
            "tool_choice": {"type": "image_generation"},
            "store": True,
            "user": user,
            "safety_identifier": user,
        }
        if previous_response_id is not None:
            body["previous_response_id"] = previous_response_id
        return body

    async def generate(
        self,
        request: ImageRequest,
        *,
        user: str,
        on_answer: OnAnswer | None = None,
        inputs: EditInputs | None = None,
    ) -> Generation:
        """Make ``request.n`` concurrent calls; see :class:`ImageBackend`. With ``inputs``,
        :func:`bot.openai.edits.responses_edit` does it."""
        if inputs is not None:
            return await edits.responses_edit(
                self, request, user=user, on_answer=on_answer, inputs=inputs
            )
        body = self.body(request, user=user)
        return await gather_images([lambda: self.call(body, request.prompt, on_answer)] * request.n)

    async def call(
        self,
        body: dict[str, Any] | bytes,
        prompt: str,
        on_answer: OnAnswer | None,
        labels: tuple[str, str] | None = None,
    ) -> Generation:
        """One ``POST /responses`` with ``body`` (a dict, or JSON already encoded, then named in
        the metrics by ``labels``: image model, quality) and its parsed answer: one image, with
        the response's id."""
        raw = await self._client.post("responses", body, on_answer=on_answer, labels=labels)
        return await in_codec_thread(self._parse, raw, prompt)

    @staticmethod
    def _parse(raw: bytes, prompt: str) -> Generation:
        try:
            response = ResponseObject.model_validate_json(raw)
            calls = response.image_calls()
        except ValidationError:
            raise errors.InvalidResponseError("OpenAI sent a response we could not read") from None
        if response.error is not None or response.status == "failed":
            detail = response.error
            code = detail.code if detail else None
            kind = detail.type if detail else None
            message = detail.message if detail and detail.message else "the response failed"
            if code in MODERATION_CODES or kind in MODERATION_TYPES:
                raise errors.ModerationBlockedError(message, status=200, code=code, type=kind)
            raise errors.InvalidResponseError(message, status=200, code=code, type=kind)
        done = [call for call in calls if call.result]
        if not done:
            reason = (response.incomplete_details or {}).get("reason")
            if response.status == "incomplete" and reason == "content_filter":
                raise errors.ModerationBlockedError(
                    "the response was stopped by the content filter", status=200, code=reason
                )
            if said := response.output_text():  # the model answered in words instead
                raise errors.NoImageError(said[:500], status=200)
            raise errors.InvalidResponseError("the model did not produce an image")
        call = done[0]
        return Generation(
            images=[
                GeneratedImage(
                    data=decode_b64(call.result or ""),
                    revised_prompt=call.revised_prompt or prompt,
                    output_format=call.output_format or OUTPUT_FORMAT,
                    response_id=response.id or None,
                )
            ],
            usage=response.usage or Usage(),
        )


class ImagesBackend:
    """Generates through ``POST /images/generations``; ``n`` per call up to the model's limit.
    Edits go to ``POST /images/edits`` (:func:`bot.openai.edits.images_edit`)."""

    def __init__(self, client: OpenAIClient, *, caps: ModelCapabilities, moderation: str = "auto"):
        self._client = client
        self._caps = caps
        self._moderation = moderation

    def body(self, request: ImageRequest, n: int, *, user: str) -> dict[str, Any]:
        """The ``CreateImageRequest`` body for ``n`` images of ``request``."""
        body: dict[str, Any] = {
            "model": self._caps.name,
            "prompt": request.prompt,
            "n": n,
            "size": request.size,
            "quality": request.quality,
            "user": user,
        }
        if self._caps.gpt_image:
            body["output_format"] = OUTPUT_FORMAT
            body["moderation"] = self._moderation
            if request.background is not None:
                body["background"] = request.background
        else:
            body["response_format"] = "b64_json"
        return body

    @property
    def caps(self) -> ModelCapabilities:
        """The image model's capabilities."""
        return self._caps

    @property
    def client(self) -> OpenAIClient:
        """The OpenAI client."""
        return self._client

    def counts(self, n: int) -> list[int]:
        """``n`` images split over as few calls as the model allows."""
        per_call = self._caps.max_n_per_request
        return [min(per_call, n - i) for i in range(0, n, per_call)]

    async def generate(
        self,
        request: ImageRequest,
        *,
        user: str,
        on_answer: OnAnswer | None = None,
        inputs: EditInputs | None = None,
    ) -> Generation:
        """Split ``request.n`` over as few calls as the model allows; see :class:`ImageBackend`.
        With ``inputs``, :func:`bot.openai.edits.images_edit` does it."""
        if inputs is not None:
            return await edits.images_edit(
                self, request, user=user, on_answer=on_answer, inputs=inputs
            )

        def call_for(n: int) -> Callable[[], Awaitable[Generation]]:
            async def one() -> Generation:
                raw = await self._client.post(
                    "images/generations", self.body(request, n, user=user), on_answer=on_answer
                )
                return await self.parse(raw, request.prompt)

            return one

        return await gather_images([call_for(n) for n in self.counts(request.n)])

    async def parse(self, raw: bytes, prompt: str) -> Generation:
        """Read an ``ImagesResponse``: images (base64, or downloaded URLs) and usage."""
        try:
            response = await in_codec_thread(ImagesResponse.model_validate_json, raw)
        except ValidationError:
            raise errors.InvalidResponseError("OpenAI sent an answer we could not read") from None
        generation = Generation(usage=response.usage or Usage())
        fmt = response.output_format or OUTPUT_FORMAT
        for item in response.data:
            if item.b64_json:
                data = await in_codec_thread(decode_b64, item.b64_json)
            elif item.url:
                data, content_type = await self._client.download_image(item.url)
                fmt = content_type.removeprefix("image/").replace("jpg", "jpeg") or fmt
            else:
                generation.failures.append(errors.InvalidResponseError("an image had no data"))
                continue
            generation.images.append(GeneratedImage(data, item.revised_prompt or prompt, fmt))
        return generation
