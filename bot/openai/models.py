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


class Usage(_Lenient):
    """Token usage; both APIs report ``input_tokens`` and ``output_tokens``."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0


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
    output: list[dict[str, Any]] = []
    usage: Usage | None = None

    def image_calls(self) -> list[ImageGenerationCall]:
        """The ``image_generation_call`` items of ``output``, in order."""
        return [
            ImageGenerationCall.model_validate(item)
            for item in self.output
            if item.get("type") == "image_generation_call"
        ]
