"""Pydantic models of the OpenAI answers this app reads.

Source: ``ImagesResponse``, ``Image``, ``ImageGenToolCall``, ``Response`` and ``Error`` in
``shared/specs/openai-openapi.yaml``; ``revised_prompt`` on ``image_generation_call`` items is not
in that document but is sent by the service (platform.md, "Two endpoints"). Unknown fields are
ignored so that additions on OpenAI's side do not break us.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ErrorBody(_Lenient):
    """``{"message", "type", "param", "code"}`` of an error answer."""

    message: str = ""
    type: str | None = None
    param: str | None = None
    code: str | None = None


class ErrorEnvelope(_Lenient):
    """An error answer: ``{"error": {...}}``."""

    error: ErrorBody


class InputTokensDetails(_Lenient):
    """Where the input tokens came from: ``image_tokens`` / ``text_tokens`` (Images API,
    ``ImageGenInputUsageDetails``) and ``cached_tokens`` (Responses API, ``ResponseUsage``)."""

    image_tokens: int = 0
    text_tokens: int = 0
    cached_tokens: int = 0


class Usage(_Lenient):
    """Token usage; both APIs report ``input_tokens`` and ``output_tokens``. Input images are
    counted in ``input_tokens`` (the Images API also breaks them out in
    ``input_tokens_details.image_tokens``); a continued response bills its earlier turns again
    as input."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    input_tokens_details: InputTokensDetails = InputTokensDetails()

    def __add__(self, other: Usage) -> Usage:
        a, b = self.input_tokens_details, other.input_tokens_details
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            input_tokens_details=InputTokensDetails(
                image_tokens=a.image_tokens + b.image_tokens,
                text_tokens=a.text_tokens + b.text_tokens,
                cached_tokens=a.cached_tokens + b.cached_tokens,
            ),
        )


class ImageData(_Lenient):
    """One item of ``ImagesResponse.data``: base64 or a URL, maybe a revised prompt (DALL·E 3)."""

    b64_json: str | None = None
    url: str | None = None
    revised_prompt: str | None = None


class ImagesResponse(_Lenient):
    """The answer of ``POST /images/generations``."""

    created: int | None = None
    data: list[ImageData] = []
    output_format: str | None = None
    usage: Usage | None = None


class ImageGenerationCall(_Lenient):
    """An ``image_generation_call`` output item of the Responses API."""

    type: str
    id: str = ""
    status: str = "completed"
    result: str | None = None
    revised_prompt: str | None = None
    output_format: str | None = None


class ResponseObject(_Lenient):
    """The answer of ``POST /responses``; ``output`` holds items of several types."""

    id: str = ""
    status: str | None = None
    error: ErrorBody | None = None
    incomplete_details: dict[str, Any] | None = None
    output: list[dict[str, Any]] = []
    usage: Usage | None = None

    def output_text(self) -> str:
        """The text of the assistant's ``message`` items (``output_text`` parts), joined."""
        parts = [
            str(part.get("text") or "")
            for item in self.output
            if item.get("type") == "message"
            for part in item.get("content") or []
            if isinstance(part, dict) and part.get("type") == "output_text"
        ]
        return " ".join(p.strip() for p in parts if p.strip())

    def image_calls(self) -> list[ImageGenerationCall]:
        """The ``image_generation_call`` items of ``output``, in order."""
        return [
            ImageGenerationCall.model_validate(item)
            for item in self.output
            if item.get("type") == "image_generation_call"
        ]
