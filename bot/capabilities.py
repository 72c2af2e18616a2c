"""What each image model accepts, so that no request is sent that the API would refuse.

Source: ``shared/docs/platform.md`` ("OpenAI image generation" table) and the ``CreateImageRequest``
and ``ImageGenTool`` schemas of ``shared/specs/openai-openapi.yaml``. Unknown model names are
treated like GPT Image models (OpenAI-compatible gateways often rename them).

Shutdown dates and replacements come from OpenAI's deprecations page as quoted in platform.md
(the table at the top of "OpenAI image generation"): on OpenAI itself a model past its date
answers 404 ``model_not_found``; OpenAI-compatible servers may still serve it, so there the
dates are advisory (:func:`shut_down`, :func:`shutting_down_soon`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from bot import messages
from bot.errors import UserInputError

SIZE_NAMES = ("square", "landscape", "portrait")
KNOWN_BACKGROUNDS = ("transparent", "opaque", "auto")
_WXH = re.compile(r"^(\d{2,5})x(\d{2,5})$")


@dataclass(frozen=True)
class ModelCapabilities:
    """One model's limits.

    ``sizes`` are the fixed sizes it takes (``WxH`` or ``auto``); ``custom_sizes`` allows any
    ``WxH`` within gpt-image-2's rules; ``named_sizes`` maps square/landscape/portrait to a size;
    ``backgrounds`` empty means the ``background`` parameter must not be sent;
    ``gpt_image`` models take ``output_format``/``moderation`` and answer base64 only;
    ``responses_tool`` says whether the Responses API image generation tool can use it;
    ``shutdown_date`` is the day OpenAI shuts the model down (``None``: none announced) and
    ``replacement`` the model to use instead.
    """

    name: str
    gpt_image: bool
    prompt_max_chars: int
    max_n_per_request: int
    sizes: tuple[str, ...]
    named_sizes: dict[str, str]
    qualities: tuple[str, ...]
    backgrounds: tuple[str, ...]
    custom_sizes: bool = False
    responses_tool: bool = True
    shutdown_date: date | None = None
    replacement: str | None = None


_GPT_IMAGE_NAMED = {"square": "1024x1024", "landscape": "1536x1024", "portrait": "1024x1536"}
_GPT_IMAGE_SIZES = ("auto", "1024x1024", "1536x1024", "1024x1536")
_GPT_IMAGE_QUALITIES = ("low", "medium", "high", "auto")


# OpenAI's shutdown dates (platform.md; deprecations page, last row announced 2026-06-02).
DEFAULT_MODEL = "gpt-image-2"
DALL_E_SHUTDOWN = date(2026, 5, 12)
GPT_IMAGE_1_SHUTDOWN = date(2026, 10, 23)
GPT_IMAGE_1X_SHUTDOWN = date(2026, 12, 1)


def _gpt_image(
    name: str, *, custom_sizes: bool = False, shutdown_date: date | None = None
) -> ModelCapabilities:
    return ModelCapabilities(
        name=name,
        gpt_image=True,
        prompt_max_chars=32000,
        max_n_per_request=10,
        sizes=_GPT_IMAGE_SIZES,
        named_sizes=_GPT_IMAGE_NAMED,
        qualities=_GPT_IMAGE_QUALITIES,
        backgrounds=KNOWN_BACKGROUNDS,
        custom_sizes=custom_sizes,
        shutdown_date=shutdown_date,
        replacement=DEFAULT_MODEL if shutdown_date else None,
    )


CAPABILITIES: dict[str, ModelCapabilities] = {
    "gpt-image-2": _gpt_image("gpt-image-2", custom_sizes=True),
    "gpt-image-1.5": _gpt_image("gpt-image-1.5", shutdown_date=GPT_IMAGE_1X_SHUTDOWN),
    "gpt-image-1": _gpt_image("gpt-image-1", shutdown_date=GPT_IMAGE_1_SHUTDOWN),
    "gpt-image-1-mini": _gpt_image("gpt-image-1-mini", shutdown_date=GPT_IMAGE_1X_SHUTDOWN),
    "chatgpt-image-latest": _gpt_image("chatgpt-image-latest", shutdown_date=GPT_IMAGE_1X_SHUTDOWN),
    "dall-e-3": ModelCapabilities(
        name="dall-e-3",
        gpt_image=False,
        prompt_max_chars=4000,
        max_n_per_request=1,
        sizes=("1024x1024", "1792x1024", "1024x1792"),
        named_sizes={"square": "1024x1024", "landscape": "1792x1024", "portrait": "1024x1792"},
        qualities=("standard", "hd"),
        backgrounds=(),
        responses_tool=False,
        shutdown_date=DALL_E_SHUTDOWN,
        replacement=DEFAULT_MODEL,
    ),
    "dall-e-2": ModelCapabilities(
        name="dall-e-2",
        gpt_image=False,
        prompt_max_chars=1000,
        max_n_per_request=10,
        sizes=("256x256", "512x512", "1024x1024"),
        named_sizes={"square": "1024x1024"},
        qualities=("standard",),
        backgrounds=(),
        responses_tool=False,
        shutdown_date=DALL_E_SHUTDOWN,
        replacement=DEFAULT_MODEL,
    ),
}

# gpt-image-2 custom sizes: both sides divisible by 16, aspect within 1:3..3:1, at most 3840x2160
# (ImageGenTool.size / CreateImageRequest.size descriptions in the OpenAPI document).
_MAX_EDGE = 3840
_MAX_PIXELS = 3840 * 2160
_MIN_EDGE = 256


def capabilities_for(model: str) -> ModelCapabilities:
    """Return the capabilities of ``model``; a dated snapshot (``gpt-image-2-2026-04-21``) maps to
    its base model (shutdown date included), an unknown name to GPT Image defaults under that
    name with no shutdown date."""
    if model in CAPABILITIES:
        return CAPABILITIES[model]
    for base, caps in CAPABILITIES.items():
        if re.fullmatch(re.escape(base) + r"-\d{4}-\d{2}-\d{2}", model):
            return _with_name(caps, model)
    return replace(
        _with_name(CAPABILITIES["gpt-image-1"], model), shutdown_date=None, replacement=None
    )


def shut_down(caps: ModelCapabilities, today: date) -> bool:
    """True when OpenAI's shutdown date for ``caps`` is ``today`` or earlier."""
    return caps.shutdown_date is not None and caps.shutdown_date <= today


def shutting_down_soon(shutdown_date: date | None, today: date, *, within_days: int = 60) -> bool:
    """True when ``shutdown_date`` is set and no more than ``within_days`` days after ``today``
    (a date already past counts too)."""
    return shutdown_date is not None and (shutdown_date - today).days <= within_days


def _with_name(caps: ModelCapabilities, name: str) -> ModelCapabilities:
    return replace(caps, name=name)


def resolve_size(value: str, caps: ModelCapabilities) -> str:
    """Turn a user's size (``WxH``, ``auto``, ``square``, ``landscape`` or ``portrait``, any case)
    into the size string sent to OpenAI.

    Raises :class:`UserInputError` naming what ``caps`` accepts.
    """
    size = value.strip().lower().replace("×", "x")
    if size in SIZE_NAMES:
        if size not in caps.named_sizes:
            raise UserInputError(messages.size_name_unsupported(size, caps), field="size")
        return caps.named_sizes[size]
    if size in caps.sizes:
        return size
    if size == "auto":  # DALL·E has no automatic size: its square is the natural default
        return caps.named_sizes["square"]
    match = _WXH.match(size)
    if match is None:
        raise UserInputError(messages.size_unknown(value, caps), field="size")
    if not caps.custom_sizes:
        raise UserInputError(messages.size_unsupported(size, caps), field="size")
    width, height = int(match[1]), int(match[2])
    problem = _custom_size_problem(width, height)
    if problem:
        raise UserInputError(messages.size_rule_broken(size, problem, caps), field="size")
    return size


def _custom_size_problem(width: int, height: int) -> str | None:
    if width % 16 or height % 16:
        return "both sides must be multiples of 16"
    if min(width, height) < _MIN_EDGE:
        return f"each side must be at least {_MIN_EDGE} pixels"
    if max(width, height) > 3 * min(width, height):
        return "the aspect ratio must be between 1:3 and 3:1"
    if max(width, height) > _MAX_EDGE or width * height > _MAX_PIXELS:
        return "the largest size is 3840x2160"
    return None


def widescreen_size(caps: ModelCapabilities) -> str:
    """A 16:9 size for slides where the model takes custom sizes (1536x864), else landscape."""
    return "1536x864" if caps.custom_sizes else caps.named_sizes.get("landscape", "auto")


def check_quality(value: str, caps: ModelCapabilities) -> str:
    """Validate a quality for ``caps``; raises :class:`UserInputError` listing the allowed ones."""
    quality = value.strip().lower()
    if quality == "auto" and quality not in caps.qualities:
        return caps.qualities[0]  # DALL·E has no "auto": its first quality is its default
    if quality not in caps.qualities:
        raise UserInputError(messages.quality_unsupported(value, caps), field="quality")
    return quality


def check_background(value: str | None, caps: ModelCapabilities) -> str | None:
    """Validate a background for ``caps`` (``None`` = not asked); raises :class:`UserInputError`."""
    if value is None:
        return None
    background = value.strip().lower()
    if background not in KNOWN_BACKGROUNDS:
        raise UserInputError(messages.background_unknown(value), field="background")
    if background not in caps.backgrounds:
        raise UserInputError(messages.background_unsupported(caps), field="background")
    return background
