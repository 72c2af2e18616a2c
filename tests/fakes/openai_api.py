"""A strict fake of OpenAI's image generation: the Responses API with the ``image_generation``
tool and the Images API, as described in ``/work/shared/docs/platform.md``.

Point the app's ``openai_base_url`` at ``oai.base_url`` (``http://127.0.0.1:PORT/v1``). Requests
are checked against the model capability table (sizes, qualities, ``n``, prompt length,
parameters a model does not take), answered after ``latency_s`` seconds with real-shaped bodies
carrying a valid PNG, and recorded. Errors use OpenAI's body
``{"error": {"message", "type", "param", "code"}}``; every answer has an ``x-request-id``.

Command line: ``python -m tests.fakes.openai_api --port 8020 --latency 5 --image-bytes 2000000``.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes import FaultQueue, LocalServer
from tests.fakes.images import make_png, png_base64
from tests.fakes.openai_models import add_model_routes

GPT_SIZES = frozenset({"auto", "1024x1024", "1536x1024", "1024x1536"})
GPT_QUALITIES = frozenset({"low", "medium", "high", "auto"})
BACKGROUNDS = frozenset({"transparent", "opaque", "auto"})
OUTPUT_FORMATS = frozenset({"png", "jpeg", "webp"})
OUTPUT_TOKENS = {"low": 272, "medium": 1056, "high": 4160}  # per 1024x1024 image, roughly

IMAGES_PARAMS = frozenset(
    {"prompt", "model", "n", "size", "quality", "style", "response_format", "background", "output_format",
     "output_compression", "moderation", "user", "safety_identifier"}
)  # fmt: skip
RESPONSES_PARAMS = frozenset(
    {"model", "input", "tools", "tool_choice", "previous_response_id", "instructions", "user", "store",
     "metadata", "temperature", "top_p", "max_output_tokens", "parallel_tool_calls", "reasoning", "text",
     "truncation", "include", "service_tier", "safety_identifier", "prompt_cache_key"}
)  # fmt: skip
TOOL_PARAMS = frozenset(
    {"type", "model", "size", "quality", "background", "output_format", "output_compression", "moderation",
     "partial_images", "input_fidelity", "input_image_mask"}
)  # fmt: skip
GPT_ONLY_PARAMS = ("background", "output_format", "output_compression", "moderation")

_FAULT_MESSAGES = {
    "moderation_blocked": "Your request was rejected as a result of our safety system. Your prompt may "
    "contain text that is not allowed by our safety system.",
    "content_policy_violation": "Your request was rejected as a result of our safety system.",
    "rate_limit_exceeded": "Rate limit reached for images per minute (IPM): Limit 5, Used 5, Requested 1. "
    "Please try again in 12s.",
    "insufficient_quota": "You exceeded your current quota, please check your plan and billing details.",
    "model_not_found": "The model does not exist or you do not have access to it.",
}
_STATUS_MESSAGES = {
    500: "The server had an error while processing your request. Sorry about that!",
    502: "Bad gateway.",
    503: "The server is overloaded or not ready yet.",
}
_IMAGE = "@@FAKE-IMAGE@@"  # placeholder swapped for base64 bytes after json.dumps


@dataclass(frozen=True)
class ModelSpec:
    """What an image model accepts: ``sizes`` (``None`` = any WxH by gpt-image-2's rule),
    ``qualities``, ``max_n`` images per request, ``max_prompt`` characters, ``styles``, and
    ``gpt_image`` (GPT Image family: backgrounds, output formats, token usage, base64 only)."""

    sizes: frozenset[str] | None
    qualities: frozenset[str]
    max_n: int
    max_prompt: int
    styles: frozenset[str] = frozenset()
    gpt_image: bool = True
    default_quality: str = "auto"


_GPT_IMAGE = ModelSpec(GPT_SIZES, GPT_QUALITIES, 10, 32000)
MODELS: dict[str, ModelSpec] = {
    "gpt-image-2": ModelSpec(None, GPT_QUALITIES, 10, 32000),
    "gpt-image-1.5": _GPT_IMAGE,
    "gpt-image-1": _GPT_IMAGE,
    "gpt-image-1-mini": _GPT_IMAGE,
    "dall-e-3": ModelSpec(
        frozenset({"1024x1024", "1792x1024", "1024x1792"}), frozenset({"standard", "hd"}), 1, 4000,
        styles=frozenset({"vivid", "natural"}), gpt_image=False, default_quality="standard",
    ),
    "dall-e-2": ModelSpec(
        frozenset({"256x256", "512x512", "1024x1024"}), frozenset({"standard"}), 10, 1000,
        gpt_image=False, default_quality="standard",
    ),
}  # fmt: skip
RETIRED_MODELS = frozenset({"dall-e-2", "dall-e-3"})  # shut down on 2026-05-12


@dataclass
class OpenAIRequest:
    """One request received: ``method``, ``path`` (e.g. ``/v1/responses``), ``json`` (the parsed
    body, or ``None``; strings over 100,000 characters are replaced by ``"<N chars>"``) and
    ``headers``."""

    method: str
    path: str
    json: Any
    headers: dict[str, str]


@dataclass
class OpenAIFault:
    """An injected error answer (see :meth:`FakeOpenAI.fail_next`)."""

    status: int
    code: str | None
    type: str
    message: str
    headers: dict[str, str] | None
    hang: bool


class OpenAIError(Exception):
    """Raised inside the fake: answered as ``status`` with OpenAI's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = (
            status,
            message,
            type,
            param,
            code,
        )
        self.headers = headers

    def response(self) -> web.Response:
        """The HTTP answer."""
        body = {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }
        return web.json_response(body, status=self.status, headers=self.headers)


def _invalid(param: str, value: Any, allowed: Any = None) -> OpenAIError:
    supported = (
        f" Supported values are: {', '.join(repr(v) for v in sorted(allowed))}." if allowed else ""
    )
    return OpenAIError(
        400, f"Invalid value: {value!r}.{supported}", param=param, code="invalid_value"
    )


def _unknown(param: str) -> OpenAIError:
    return OpenAIError(400, f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter")


def _missing(param: str) -> OpenAIError:
    return OpenAIError(
        400,
        f"Missing required parameter: '{param}'.",
        param=param,
        code="missing_required_parameter",
    )


def default_revise(text: str) -> str:
    """The fake's revised prompt: ``"A detailed rendering of " + text``."""
    return f"A detailed rendering of {text}"


def input_text(value: Any) -> str:
    """The user's text in a Responses ``input``: the string itself, or the text of the user
    message items (``content`` as a string or ``input_text`` parts), joined by newlines."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        message = "Invalid type for 'input': expected a string or an array."
        raise OpenAIError(400, message, param="input", code="invalid_type")
    texts = []
    for item in value:
        if not isinstance(item, dict) or item.get("role", "user") != "user":
            continue
        content = item.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts += [
                p["text"] for p in content if isinstance(p, dict) and p.get("type") == "input_text"
            ]
    return "\n".join(texts)


def check_size(spec: ModelSpec, size: str, param: str) -> None:
    """Raise :class:`OpenAIError` unless ``size`` suits the model (gpt-image-2: ``auto`` or WxH,
    both sides divisible by 16, ratio within 3:1, at most 3840x2160)."""
    if spec.sizes is not None:
        if size not in spec.sizes:
            raise _invalid(param, size, spec.sizes)
        return
    if size == "auto":
        return
    width, _, height = size.partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise _invalid(param, size)
    w, h = int(width), int(height)
    if not (w and h and w % 16 == 0 and h % 16 == 0 and max(w, h) <= 3 * min(w, h)
            and max(w, h) <= 3840 and w * h <= 3840 * 2160):  # fmt: skip
        raise _invalid(param, size)


def check_options(spec: ModelSpec, options: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Check size, quality, style, background and output format against the model, and return
    the values the answer reports (``auto`` resolved): ``size``, ``quality``, ``background``,
    ``output_format`` (the last two ``None`` for DALL·E)."""
    for name in GPT_ONLY_PARAMS:
        if name in options and not spec.gpt_image:
            raise _unknown(prefix + name)
    if "style" in options and not spec.styles:
        raise _unknown(prefix + "style")
    if "style" in options and options["style"] not in spec.styles:
        raise _invalid(prefix + "style", options["style"], spec.styles)
    size = str(options.get("size") or ("auto" if spec.gpt_image else "1024x1024"))
    check_size(spec, size, prefix + "size")
    quality = options.get("quality") or spec.default_quality
    if quality not in spec.qualities:
        raise _invalid(prefix + "quality", quality, spec.qualities)
    if not spec.gpt_image:
        return {"size": size, "quality": quality, "background": None, "output_format": None}
    background = options.get("background") or "auto"
    output_format = options.get("output_format") or "png"
    if background not in BACKGROUNDS:
        raise _invalid(prefix + "background", background, BACKGROUNDS)
    if output_format not in OUTPUT_FORMATS:
        raise _invalid(prefix + "output_format", output_format, OUTPUT_FORMATS)
    if background == "transparent" and output_format == "jpeg":
        raise OpenAIError(400, "Transparent background requires output_format png or webp.",
                          param=prefix + "background", code="invalid_value")  # fmt: skip
    return {
        "size": "1024x1024" if size == "auto" else size,
        "quality": "medium" if quality == "auto" else quality,
        "background": "opaque" if background == "auto" else background,
        "output_format": output_format,
    }


def _usage(prompt: str, quality: str, n: int) -> dict[str, Any]:
    text_tokens = len(prompt) // 4 + 1
    output = OUTPUT_TOKENS.get(quality, OUTPUT_TOKENS["medium"]) * n
    return {
        "input_tokens": text_tokens,
        "output_tokens": output,
        "total_tokens": text_tokens + output,
        "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": 0},
    }


def _shrink(value: Any, limit: int = 100_000) -> Any:
    """``value`` with any string longer than ``limit`` replaced by ``"<N chars>"``."""
    if isinstance(value, str):
        return value if len(value) <= limit else f"<{len(value)} chars>"
    if isinstance(value, list):
        return [_shrink(v, limit) for v in value]
    if isinstance(value, dict):
        return {k: _shrink(v, limit) for k, v in value.items()}
    return value


def _pixels(size: str) -> tuple[int, int]:
    width, _, height = size.partition("x")
    return (int(width), int(height)) if width.isdigit() and height.isdigit() else (1024, 1024)


@functools.lru_cache(maxsize=32)
def _image_args(size: str, image_bytes: int | None) -> tuple[int, int, int | None]:
    """``make_png`` arguments for an image of ``size``: the real aspect ratio, at most 64 px
    wide or high by default, or about ``image_bytes`` large."""
    width, height = _pixels(size)
    if image_bytes is None:
        longest = max(width, height)
        width, height = max(1, width * 64 // longest), max(1, height * 64 // longest)
    return width, height, image_bytes


@functools.lru_cache(maxsize=32)
def _base64_bytes(width: int, height: int, image_bytes: int | None) -> bytes:
    return png_base64(width, height, image_bytes).encode("ascii")


async def _send_with_images(
    request: web.Request, payload: dict[str, Any], image: tuple[int, int, int | None]
) -> web.StreamResponse:
    """Send ``payload`` as JSON with each ``_IMAGE`` placeholder replaced by the cached base64
    image: the megabytes go out straight from the cache, never re-encoded or copied."""
    encoded = _base64_bytes(*image)
    pieces = json.dumps(payload).encode().split(_IMAGE.encode())
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.content_length = sum(map(len, pieces)) + (len(pieces) - 1) * len(encoded)
    await response.prepare(request)
    for index, piece in enumerate(pieces):
        if index:
            await response.write(encoded)
        await response.write(piece)
    await response.write_eof()
    return response


async def _add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer carries an ``x-request-id``, as OpenAI's do."""
    response.headers["x-request-id"] = f"req_{secrets.token_hex(16)}"


class FakeOpenAI(LocalServer):
    """A strict fake OpenAI API on ``http://127.0.0.1:PORT/v1``.

    Constructor:
        ``api_key``: the only key accepted (``Authorization: Bearer``). ``latency_s``: seconds
        before each successful answer. ``image_bytes``: approximate size of every generated PNG
        in bytes (``None``: a tiny image, at most 64 px a side, for unit tests). ``url_mode``:
        the Images API answers ``{"url": ...}`` (served by ``GET /v1/files/<id>.png``) instead of
        ``b64_json``. ``retired_models``: models answered with 404 ``model_not_found`` (default
        dall-e-2 and dall-e-3; pass ``()`` to play an OpenAI-compatible server that still has
        them). ``revise``: text -> revised prompt (default :func:`default_revise`).

    Attributes: ``requests`` (:class:`OpenAIRequest` list, every request incl. refused ones),
    ``latency_s``, ``image_bytes``, ``url_mode``, ``revise``, ``shutdown_dates`` (model ->
    ``YYYY-MM-DD`` for ``GET /v1/models/{id}``, :mod:`tests.fakes.openai_models`), all
    changeable while running.
    Methods: :meth:`fail_next`, :meth:`requests_to`, :meth:`wait_for`.
    """

    def __init__(
        self,
        api_key: str = "sk-test",
        *,
        latency_s: float = 0.0,
        image_bytes: int | None = None,
        url_mode: bool = False,
        retired_models: frozenset[str] | tuple[str, ...] = RETIRED_MODELS,
        revise: Callable[[str], str] = default_revise,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port)
        self.api_key = api_key
        self.latency_s = latency_s
        self.image_bytes = image_bytes
        self.url_mode = url_mode
        self.retired_models = frozenset(retired_models)
        self.revise = revise
        self.requests: list[OpenAIRequest] = []
        self.faults: FaultQueue[OpenAIFault] = FaultQueue()
        self._ids = itertools.count(1)
        self._files: dict[str, tuple[int, int, int | None]] = {}  # url id -> make_png arguments
        self.shutdown_dates: dict[str, str] = {}  # GET /v1/models/{id}: model -> YYYY-MM-DD
        self.app.middlewares.append(self._middleware)
        self.app.on_response_prepare.append(_add_request_id)
        self.app.router.add_post("/v1/responses", self._responses)
        self.app.router.add_post("/v1/images/generations", self._images)
        self.app.router.add_get("/v1/files/{file_id}.png", self._file)
        add_model_routes(self)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``: the OpenAI base URL for clients."""
        return f"{self.origin}/v1"

    def requests_to(self, path_suffix: str) -> list[OpenAIRequest]:
        """Recorded requests whose path ends with ``path_suffix`` (e.g. ``"/responses"``)."""
        return [r for r in self.requests if r.path.endswith(path_suffix)]

    def fail_next(
        self,
        path_suffix: str,
        *,
        status: int = 500,
        code: str | None = None,
        type: str | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        hang: bool = False,
    ) -> None:
        """Answer the next ``times`` requests whose path ends with ``path_suffix`` with an error,
        before authentication or validation. Faults are used in the order they were added.

        ``type`` defaults from ``code`` and ``status``: ``image_generation_user_error`` for
        ``moderation_blocked``, ``insufficient_quota`` for quota codes, ``requests`` for other
        429s, ``server_error`` for 5xx, else ``invalid_request_error``. ``headers`` are added to
        the answer (e.g. ``{"retry-after-ms": "200"}``). ``hang=True`` never answers (until the
        client gives up or the server stops). Examples::

            oai.fail_next("/responses", status=400, code="moderation_blocked")
            oai.fail_next("/responses", status=429, code="rate_limit_exceeded", headers={"retry-after-ms": "50"})
            oai.fail_next("/responses", status=429, code="insufficient_quota")
            oai.fail_next("/responses", status=503, times=2)
        """
        if type is None:
            if code == "moderation_blocked":
                type = "image_generation_user_error"
            elif status == 429 and code != "rate_limit_exceeded" and code is not None:
                type = "insufficient_quota"
            elif status == 429:
                type = "requests"
            elif status >= 500:
                type = "server_error"
            else:
                type = "invalid_request_error"
        if message is None:
            message = _FAULT_MESSAGES.get(code or "") or _STATUS_MESSAGES.get(
                status, f"Injected failure ({status})."
            )
        self.faults.add(path_suffix, OpenAIFault(status, code, type, message, headers, hang), times)

    def describe(self) -> str:
        """The requests received: method, path and a short body."""
        lines = [f"  {r.method} {r.path} {json.dumps(r.json)[:160]}" for r in self.requests[-30:]]
        return "\n".join(lines) or "  (nothing)"

    # --- request pipeline ---------------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[..., Any]
    ) -> web.StreamResponse:
        try:
            return await self._dispatch(request, handler)
        except OpenAIError as exc:
            return exc.response()
        except web.HTTPException as exc:  # no such route, body too large, ...
            message = (
                f"Invalid URL ({request.method} {request.path})"
                if exc.status in (404, 405)
                else exc.reason
            )
            return OpenAIError(exc.status, message).response()

    async def _dispatch(
        self, request: web.Request, handler: Callable[..., Any]
    ) -> web.StreamResponse:
        body: Any = None
        raw = await request.read() if request.can_read_body else b""
        try:
            body = json.loads(raw) if raw else None
            parsed = True
        except ValueError:
            parsed = False
        self.requests.append(
            OpenAIRequest(request.method, request.path, _shrink(body), dict(request.headers))
        )

        fault = self.faults.take(request.path.endswith)
        if fault is not None:
            if fault.hang:
                await self.pause(float("inf"))
            raise OpenAIError(
                fault.status, fault.message, type=fault.type, code=fault.code, headers=fault.headers
            )
        if not request.path.startswith("/v1/files/"):
            self._authenticate(request)
        if request.method == "POST" and not (parsed and isinstance(body, dict)):
            raise OpenAIError(400, "We could not parse the JSON body of your request. (HINT: This likely means you "
                              "aren't using your HTTP library correctly.)")  # fmt: skip
        return await handler(request)

    def _authenticate(self, request: web.Request) -> None:
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and key.strip() == self.api_key:
            return
        key = key.strip()
        if not key:
            message = (
                "You didn't provide an API key. You need to provide your API key in an Authorization "
                "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
        else:
            message = (
                f"Incorrect API key provided: {key[:3]}{'*' * 8}{key[-4:]}. "
                "You can find your API key at https://platform.openai.com/account/api-keys."
            )
        raise OpenAIError(401, message, code="invalid_api_key")

    def _model(self, name: Any, param: str) -> ModelSpec:
        if name in self.retired_models or name not in MODELS:
            raise OpenAIError(404, f"The model `{name}` does not exist or you do not have access to it.",
                              param=param, code="model_not_found")  # fmt: skip
        return MODELS[name]

    async def _wait(self) -> None:
        if not await self.pause(self.latency_s):
            raise OpenAIError(503, "The server is shutting down.", type="server_error")

    # --- endpoints ----------------------------------------------------------------------------

    async def _responses(self, request: web.Request) -> web.Response:
        """``POST /v1/responses`` with exactly one ``image_generation`` tool: one image."""
        body: dict[str, Any] = await request.json()  # checked to be an object by _dispatch
        for name in ("model", "input"):
            if name not in body:
                raise _missing(name)
        for name in body:
            if name not in RESPONSES_PARAMS:
                raise _unknown(name)
        if not isinstance(body["model"], str) or body["model"] in MODELS:
            raise _invalid("model", body["model"])  # an image model is no mainline model
        prompt = input_text(body["input"])
        tools = body.get("tools")
        if not isinstance(tools, list):
            raise _missing("tools")
        image_tools = [
            (i, t)
            for i, t in enumerate(tools)
            if isinstance(t, dict) and t.get("type") == "image_generation"
        ]
        if len(image_tools) != 1:
            message = "Expected exactly one tool of type 'image_generation'."
            raise OpenAIError(400, message, param="tools", code="invalid_value")
        index, tool = image_tools[0]
        prefix = f"tools[{index}]."
        for name in tool:
            if name not in TOOL_PARAMS:
                raise _unknown(prefix + name)
        spec = self._model(tool.get("model", "gpt-image-1"), prefix + "model")
        if not spec.gpt_image:
            raise _invalid(prefix + "model", tool["model"])
        options = check_options(spec, tool, prefix)
        await self._wait()

        number = next(self._ids)
        payload = {
            "id": f"resp_{number:08d}{secrets.token_hex(8)}",
            "object": "response",
            "created_at": int(time.time()),
            "status": "completed",
            "error": None,
            "incomplete_details": None,
            "model": body["model"],
            "previous_response_id": body.get("previous_response_id"),
            "output": [
                {
                    "type": "image_generation_call",
                    "id": f"ig_{number:08d}",
                    "status": "completed",
                    "result": _IMAGE,
                    "revised_prompt": self.revise(prompt),
                    **options,
                },
                {
                    "type": "message",
                    "id": f"msg_{number:08d}",
                    "role": "assistant",
                    "status": "completed",
                    "content": [
                        {"type": "output_text", "text": "Here is your image.", "annotations": []}
                    ],
                },
            ],
            "tools": tools,
            "usage": {
                k: v
                for k, v in _usage(prompt, options["quality"], 1).items()
                if k != "input_tokens_details"
            },
        }
        return await _send_with_images(
            request, payload, _image_args(options["size"], self.image_bytes)
        )

    async def _images(self, request: web.Request) -> web.Response:
        """``POST /v1/images/generations``: ``n`` images (``model`` defaults to dall-e-2, as at
        OpenAI, which today means ``model_not_found``)."""
        body: dict[str, Any] = await request.json()
        for name in body:
            if name not in IMAGES_PARAMS:
                raise _unknown(name)
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt:
            raise _missing("prompt")
        model = body.get("model", "dall-e-2")
        spec = self._model(model, "model")
        if len(prompt) > spec.max_prompt:
            raise OpenAIError(400, f"Invalid 'prompt': string too long. Expected a string with maximum length "
                              f"{spec.max_prompt}, but got a string with length {len(prompt)} instead.",
                              param="prompt", code="string_above_max_length")  # fmt: skip
        n = body.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= spec.max_n:
            raise _invalid("n", n)
        response_format = body.get("response_format")
        if response_format is not None and (
            spec.gpt_image or response_format not in ("url", "b64_json")
        ):
            raise (
                _unknown("response_format")
                if spec.gpt_image
                else _invalid("response_format", response_format)
            )
        options = check_options(spec, body)
        await self._wait()

        image = _image_args(options["size"], self.image_bytes)
        as_url = self.url_mode or (not spec.gpt_image and response_format != "b64_json")
        data = []
        for _ in range(n):
            item: dict[str, Any] = {"b64_json": _IMAGE}
            if as_url:
                file_id = f"img_{next(self._ids):08d}"
                self._files[file_id] = image
                item = {"url": f"{self.base_url}/files/{file_id}.png"}
            if model == "dall-e-3":
                item["revised_prompt"] = self.revise(prompt)
            data.append(item)
        payload: dict[str, Any] = {"created": int(time.time()), "data": data}
        if spec.gpt_image:
            payload.update({k: v for k, v in options.items()})
            payload["usage"] = _usage(prompt, options["quality"], n)
        return await _send_with_images(request, payload, image)

    async def _file(self, request: web.Request) -> web.Response:
        """``GET /v1/files/<id>.png``: an image issued in ``url_mode`` (no API key needed)."""
        image = self._files.get(request.match_info["file_id"])
        if image is None:
            raise OpenAIError(404, "No such file.", code="not_found")
        return web.Response(body=make_png(*image), content_type="image/png")

    # --- command line -------------------------------------------------------------------------

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """``--api-key``, ``--latency`` (seconds), ``--image-bytes``, ``--url-mode``, ``--serve-dall-e``."""
        parser.add_argument("--api-key", default="sk-test", help="the accepted API key")
        parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
        parser.add_argument(
            "--image-bytes", type=int, default=None, help="approximate PNG size in bytes"
        )
        parser.add_argument("--url-mode", action="store_true", help="Images API answers with URLs")
        parser.add_argument("--serve-dall-e", action="store_true", help="keep dall-e-2/3 available")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> FakeOpenAI:
        """The server described by the command line."""
        return cls(
            args.api_key,
            latency_s=args.latency,
            image_bytes=args.image_bytes,
            url_mode=args.url_mode,
            retired_models=() if args.serve_dall_e else RETIRED_MODELS,
            host=args.host,
            port=args.port,
        )


if __name__ == "__main__":
    FakeOpenAI.main()
