"""The rules the fake OpenAI applies to image parameters: which models exist, what each accepts
(platform.md's capability table and ``CreateImageRequest`` / ``ImageGenTool`` of the OpenAPI
document), and OpenAI's error body ``{"error": {"message", "type", "param", "code"}}``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

GPT_SIZES = frozenset({"auto", "1024x1024", "1536x1024", "1024x1536"})
GPT_QUALITIES = frozenset({"low", "medium", "high", "auto"})
BACKGROUNDS = frozenset({"transparent", "opaque", "auto"})
OUTPUT_FORMATS = frozenset({"png", "jpeg", "webp"})

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
     "partial_images", "input_fidelity", "input_image_mask", "action"}
)  # fmt: skip
GPT_ONLY_PARAMS = ("background", "output_format", "output_compression", "moderation")


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


def invalid(param: str, value: Any, allowed: Any = None) -> OpenAIError:
    supported = (
        f" Supported values are: {', '.join(repr(v) for v in sorted(allowed))}." if allowed else ""
    )
    return OpenAIError(
        400, f"Invalid value: {value!r}.{supported}", param=param, code="invalid_value"
    )


def unknown(param: str) -> OpenAIError:
    return OpenAIError(400, f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter")


def missing(param: str) -> OpenAIError:
    return OpenAIError(
        400,
        f"Missing required parameter: '{param}'.",
        param=param,
        code="missing_required_parameter",
    )


def check_size(spec: ModelSpec, size: str, param: str) -> None:
    """Raise :class:`OpenAIError` unless ``size`` suits the model (gpt-image-2: ``auto`` or WxH,
    both sides divisible by 16, ratio within 3:1, at most 3840x2160)."""
    if spec.sizes is not None:
        if size not in spec.sizes:
            raise invalid(param, size, spec.sizes)
        return
    if size == "auto":
        return
    width, _, height = size.partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise invalid(param, size)
    w, h = int(width), int(height)
    if not (w and h and w % 16 == 0 and h % 16 == 0 and max(w, h) <= 3 * min(w, h)
            and max(w, h) <= 3840 and w * h <= 3840 * 2160):  # fmt: skip
        raise invalid(param, size)


def check_options(spec: ModelSpec, options: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Check size, quality, style, background and output format against the model, and return
    the values the answer reports (``auto`` resolved): ``size``, ``quality``, ``background``,
    ``output_format`` (the last two ``None`` for DALL·E)."""
    for name in GPT_ONLY_PARAMS:
        if name in options and not spec.gpt_image:
            raise unknown(prefix + name)
    if "style" in options and not spec.styles:
        raise unknown(prefix + "style")
    if "style" in options and options["style"] not in spec.styles:
        raise invalid(prefix + "style", options["style"], spec.styles)
    size = str(options.get("size") or ("auto" if spec.gpt_image else "1024x1024"))
    check_size(spec, size, prefix + "size")
    quality = options.get("quality") or spec.default_quality
    if quality not in spec.qualities:
        raise invalid(prefix + "quality", quality, spec.qualities)
    if not spec.gpt_image:
        return {"size": size, "quality": quality, "background": None, "output_format": None}
    background = options.get("background") or "auto"
    output_format = options.get("output_format") or "png"
    if background not in BACKGROUNDS:
        raise invalid(prefix + "background", background, BACKGROUNDS)
    if output_format not in OUTPUT_FORMATS:
        raise invalid(prefix + "output_format", output_format, OUTPUT_FORMATS)
    if background == "transparent" and output_format == "jpeg":
        raise OpenAIError(400, "Transparent background requires output_format png or webp.",
                          param=prefix + "background", code="invalid_value")  # fmt: skip
    return {
        "size": "1024x1024" if size == "auto" else size,
        "quality": "medium" if quality == "auto" else quality,
        "background": "opaque" if background == "auto" else background,
        "output_format": output_format,
    }
