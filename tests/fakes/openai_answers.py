"""How the fake OpenAI answers: real-shaped bodies whose base64 images are streamed from a cache,
usage objects, canned error messages, and the ``x-request-id`` header on every answer."""

from __future__ import annotations

import functools
import json
import secrets
from typing import Any

from aiohttp import web

from tests.fakes.images import png_base64

OUTPUT_TOKENS = {"low": 272, "medium": 1056, "high": 4160}  # per 1024x1024 image, roughly

FAULT_MESSAGES = {
    "moderation_blocked": "Your request was rejected as a result of our safety system. Your prompt may "
    "contain text that is not allowed by our safety system.",
    "content_policy_violation": "Your request was rejected as a result of our safety system.",
    "rate_limit_exceeded": "Rate limit reached for images per minute (IPM): Limit 5, Used 5, Requested 1. "
    "Please try again in 12s.",
    "insufficient_quota": "You exceeded your current quota, please check your plan and billing details.",
    "model_not_found": "The model does not exist or you do not have access to it.",
}
STATUS_MESSAGES = {
    500: "The server had an error while processing your request. Sorry about that!",
    502: "Bad gateway.",
    503: "The server is overloaded or not ready yet.",
}
IMAGE = "@@FAKE-IMAGE@@"  # placeholder swapped for base64 bytes after json.dumps


def default_revise(text: str) -> str:
    """The fake's revised prompt: ``"A detailed rendering of " + text``."""
    return f"A detailed rendering of {text}"


def usage(prompt: str, quality: str, n: int) -> dict[str, Any]:
    text_tokens = len(prompt) // 4 + 1
    output = OUTPUT_TOKENS.get(quality, OUTPUT_TOKENS["medium"]) * n
    return {
        "input_tokens": text_tokens,
        "output_tokens": output,
        "total_tokens": text_tokens + output,
        "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": 0},
    }


def shrink(value: Any, limit: int = 100_000) -> Any:
    """``value`` with any string longer than ``limit`` replaced by ``"<N chars>"``."""
    if isinstance(value, str):
        return value if len(value) <= limit else f"<{len(value)} chars>"
    if isinstance(value, list):
        return [shrink(v, limit) for v in value]
    if isinstance(value, dict):
        return {k: shrink(v, limit) for k, v in value.items()}
    return value


def pixels(size: str) -> tuple[int, int]:
    width, _, height = size.partition("x")
    return (int(width), int(height)) if width.isdigit() and height.isdigit() else (1024, 1024)


@functools.lru_cache(maxsize=32)
def image_args(size: str, image_bytes: int | None) -> tuple[int, int, int | None]:
    """``make_png`` arguments for an image of ``size``: the real aspect ratio, at most 64 px
    wide or high by default, or about ``image_bytes`` large."""
    width, height = pixels(size)
    if image_bytes is None:
        longest = max(width, height)
        width, height = max(1, width * 64 // longest), max(1, height * 64 // longest)
    return width, height, image_bytes


@functools.lru_cache(maxsize=32)
def _base64_bytes(width: int, height: int, image_bytes: int | None) -> bytes:
    return png_base64(width, height, image_bytes).encode("ascii")


async def send_with_images(
    request: web.Request, payload: dict[str, Any], image: tuple[int, int, int | None]
) -> web.StreamResponse:
    """Send ``payload`` as JSON with each ``IMAGE`` placeholder replaced by the cached base64
    image: the megabytes go out straight from the cache, never re-encoded or copied."""
    encoded = _base64_bytes(*image)
    pieces = json.dumps(payload).encode().split(IMAGE.encode())
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.content_length = sum(map(len, pieces)) + (len(pieces) - 1) * len(encoded)
    await response.prepare(request)
    for index, piece in enumerate(pieces):
        if index:
            await response.write(encoded)
        await response.write(piece)
    await response.write_eof()
    return response


async def add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer carries an ``x-request-id``, as OpenAI's do."""
    response.headers["x-request-id"] = f"req_{secrets.token_hex(16)}"
