"""Two ways to turn an :class:`bot.request.ImageRequest` into images, behind one interface.

- :class:`ResponsesBackend`: ``POST /responses`` with the ``image_generation`` tool forced by
  ``tool_choice``; one call gives one image and its ``revised_prompt``, so n images are n
  concurrent calls (platform.md, "Two endpoints").
- :class:`ImagesBackend`: ``POST /images/generations`` with ``n`` in one call where the model
  allows it, concurrent calls where it does not (dall-e-3).

Request bodies follow ``CreateResponse`` / ``ImageGenTool`` and ``CreateImageRequest`` of
``shared/specs/openai-openapi.yaml``; only parameters the model's capabilities allow are sent.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from pydantic import ValidationError

from bot import errors
from bot.capabilities import ModelCapabilities
from bot.openai.client import MODERATION_CODES, MODERATION_TYPES, OnAnswer, OpenAIClient
from bot.openai.models import ImagesResponse, ResponseObject, Usage
from bot.request import ImageRequest

OUTPUT_FORMAT = "png"
TOOL_INSTRUCTIONS = (
    "Create exactly one image for the user's description by calling the image generation tool. "
    "Keep every detail the user asked for."
)


@dataclass(frozen=True)
class GeneratedImage:
    """One image: ``data`` (encoded bytes), ``revised_prompt`` (what the model drew, else the
    prompt sent), ``output_format`` (``png``, ``jpeg`` or ``webp``)."""

    data: bytes
    revised_prompt: str
    output_format: str = OUTPUT_FORMAT


@dataclass
class Generation:
    """What a request produced: ``images`` that succeeded, ``failures`` of the rest (k of n may
    fail), ``usage`` summed over the calls made."""

    images: list[GeneratedImage] = field(default_factory=list)
    failures: list[errors.OpenAIError] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    def without_data(self) -> Generation:
        """A copy without the image bytes (revised prompts, formats, failures and usage kept),
        for what happens after the upload: the megabytes are not held a moment longer."""
        return Generation(
            images=[replace(image, data=b"") for image in self.images],
            failures=self.failures,
            usage=self.usage,
        )


class ImageBackend(Protocol):
    """Generates the images of a request. Raises the most telling
    :class:`bot.errors.OpenAIError` when no image at all could be made."""

    async def generate(
        self, request: ImageRequest, *, user: str, on_answer: OnAnswer | None = None
    ) -> Generation:
        """Make ``request.n`` images. ``user`` is the one-way hash sent as OpenAI's ``user``;
        ``on_answer`` is awaited before each answer's body is read (see
        :meth:`bot.openai.client.OpenAIClient.post`)."""


def user_hash(team_id: str, user_id: str) -> str:
    """A stable one-way identifier for OpenAI's ``user`` field: SHA-256 of team and user id,
    so abuse reports can be traced by us while Slack ids never leave the app."""
    digest = hashlib.sha256(f"imagine:{team_id}:{user_id}".encode()).hexdigest()
    return f"imagine-{digest[:32]}"


def decode_b64(data: str) -> bytes:
    """Decode base64 image data; raises :class:`bot.errors.InvalidResponseError` if malformed."""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidResponseError("OpenAI sent image data that is not base64") from None


async def _gather_images(
    calls: list[Callable[[], Awaitable[Generation]]],
) -> Generation:
    """Run ``calls`` concurrently and merge them; OpenAI failures are collected, anything else
    (a bug) propagates. Raises the first failure when nothing at all was produced."""
    results = await asyncio.gather(*(call() for call in calls), return_exceptions=True)
    merged = Generation()
    for result in results:
        if isinstance(result, errors.OpenAIError):
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


def _most_telling(failures: list[errors.OpenAIError]) -> errors.OpenAIError:
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
    if b is None:
        return a
    return Usage(
        input_tokens=a.input_tokens + b.input_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        total_tokens=a.total_tokens + b.total_tokens,
    )


class ResponsesBackend:
    """Generates through the Responses API image generation tool; the caption uses each tool
    call's ``revised_prompt``. ``model`` is the mainline model, ``caps`` the image model's."""

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

    def body(self, request: ImageRequest, *, user: str) -> dict[str, Any]:
        """The ``CreateResponse`` body for one image of ``request``."""
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
        return {
            "model": self._model,
            "instructions": TOOL_INSTRUCTIONS,
            "input": request.prompt,
            "tools": [tool],
            "tool_choice": {"type": "image_generation"},
            "store": False,
            "user": user,
            "safety_identifier": user,
        }

    async def generate(
        self, request: ImageRequest, *, user: str, on_answer: OnAnswer | None = None
    ) -> Generation:
        """Make ``request.n`` concurrent calls; see :class:`ImageBackend`."""
        body = self.body(request, user=user)

        async def one() -> Generation:
            raw = await self._client.post("responses", body, on_answer=on_answer)
            return await asyncio.to_thread(self._parse, raw, request.prompt)

        return await _gather_images([one] * request.n)

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
            raise errors.InvalidResponseError("the model did not produce an image")
        call = done[0]
        return Generation(
            images=[
                GeneratedImage(
                    data=decode_b64(call.result or ""),
                    revised_prompt=call.revised_prompt or prompt,
                    output_format=call.output_format or OUTPUT_FORMAT,
                )
            ],
            usage=response.usage or Usage(),
        )


class ImagesBackend:
    """Generates through ``POST /images/generations``; ``n`` per call up to the model's limit."""

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

    async def generate(
        self, request: ImageRequest, *, user: str, on_answer: OnAnswer | None = None
    ) -> Generation:
        """Split ``request.n`` over as few calls as the model allows; see :class:`ImageBackend`."""
        per_call = self._caps.max_n_per_request
        counts = [min(per_call, request.n - i) for i in range(0, request.n, per_call)]

        def call_for(n: int) -> Callable[[], Awaitable[Generation]]:
            async def one() -> Generation:
                raw = await self._client.post(
                    "images/generations", self.body(request, n, user=user), on_answer=on_answer
                )
                return await self._parse(raw, request.prompt)

            return one

        return await _gather_images([call_for(n) for n in counts])

    async def _parse(self, raw: bytes, prompt: str) -> Generation:
        try:
            response = await asyncio.to_thread(ImagesResponse.model_validate_json, raw)
        except ValidationError:
            raise errors.InvalidResponseError("OpenAI sent an answer we could not read") from None
        generation = Generation(usage=response.usage or Usage())
        fmt = response.output_format or OUTPUT_FORMAT
        for item in response.data:
            if item.b64_json:
                data = await asyncio.to_thread(decode_b64, item.b64_json)
            elif item.url:
                data, content_type = await self._client.download_image(item.url)
                fmt = content_type.removeprefix("image/").replace("jpg", "jpeg") or fmt
            else:
                generation.failures.append(errors.InvalidResponseError("an image had no data"))
                continue
            generation.images.append(GeneratedImage(data, item.revised_prompt or prompt, fmt))
        return generation
