"""What to generate (:class:`ImageRequest`), the presets, and the one place that validates a
request against the settings and the model's capabilities before anything is sent to OpenAI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot import messages
from bot.capabilities import (
    ModelCapabilities,
    capabilities_for,
    check_background,
    check_quality,
    resolve_size,
    widescreen_size,
)
from bot.command import RawOptions
from bot.errors import UserInputError
from bot.settings import Settings

PresetName = Literal["general", "slide", "brand"]


@dataclass(frozen=True)
class Preset:
    """A kind of request: ``frame`` wraps the user's words (``{prompt}``, ``{brand_guide}``),
    ``size`` is the default size, ``offers_transparent`` whether the modal offers a
    transparent background."""

    name: PresetName
    label: str
    frame: str
    size: str
    offers_transparent: bool


def preset_for(name: PresetName, settings: Settings) -> Preset:
    """The preset called ``name`` with the frames and sizes configured in ``settings``
    (SLIDE_FRAME, SLIDE_SIZE, BRAND_FRAME, BRAND_SIZE, DEFAULT_SIZE); an empty SLIDE_SIZE means
    16:9 where the model allows it."""
    caps = capabilities_for(settings.image_model)
    if name == "slide":
        size = settings.slide_size or widescreen_size(caps)
        return Preset(
            "slide", "Slide illustration", settings.slide_frame, size, offers_transparent=False
        )
    if name == "brand":
        return Preset(
            "brand",
            "Brand asset",
            settings.brand_frame,
            settings.brand_size,
            offers_transparent=True,
        )
    return Preset("general", "Image", "{prompt}", settings.default_size, offers_transparent=True)


@dataclass(frozen=True)
class ImageRequest:
    """A validated request: ``user_prompt`` is what the person wrote (verbatim), ``prompt`` what
    is sent to the model (the preset's frame around it), ``n`` images of ``size`` (``WxH`` or
    ``auto``) at ``quality``; ``background`` is ``None`` when it must not be sent."""

    user_prompt: str
    prompt: str
    preset: PresetName
    n: int
    size: str
    quality: str
    background: str | None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready copy, for storing a Regenerate key."""
        return dict(self.__dict__)


def build_request(
    user_prompt: str,
    options: RawOptions,
    settings: Settings,
    *,
    preset: PresetName = "general",
) -> ImageRequest:
    """Validate ``user_prompt`` and ``options`` and fill in defaults.

    Checks, in order: prompt length (1..PROMPT_MAX_CHARS, after Slack escapes were undone), then
    n, size, quality and background against MAX_IMAGES and the model's capabilities, then the
    framed prompt against the model's own prompt limit. Raises :class:`UserInputError` whose
    ``text`` says exactly what to change and whose ``field`` names the option at fault.
    """
    caps: ModelCapabilities = capabilities_for(settings.image_model)
    if not user_prompt.strip():
        raise UserInputError(messages.PROMPT_EMPTY, field="prompt")
    if len(user_prompt) > settings.prompt_max_chars:
        raise UserInputError(
            messages.prompt_too_long(len(user_prompt), settings.prompt_max_chars), field="prompt"
        )
    chosen = preset_for(preset, settings)
    n = options.n if options.n is not None else 1
    if not 1 <= n <= settings.max_images:
        raise UserInputError(messages.n_invalid(str(n), settings.max_images), field="n")
    size = resolve_size(options.size or chosen.size, caps)
    quality = check_quality(options.quality or settings.default_quality, caps)
    background = check_background(options.background, caps)
    prompt = _frame(chosen, user_prompt, settings)
    if len(prompt) > caps.prompt_max_chars:
        raise UserInputError(
            messages.framed_prompt_too_long(len(prompt), caps.prompt_max_chars, caps.name),
            field="prompt",
        )
    return ImageRequest(
        user_prompt=user_prompt,
        prompt=prompt,
        preset=preset,
        n=n,
        size=size,
        quality=quality,
        background=background,
    )


def _frame(preset: Preset, user_prompt: str, settings: Settings) -> str:
    guide = settings.brand_guide.strip()
    brand_guide = f"Brand guide: {guide}\n" if guide else ""
    # str.replace, not str.format: the user's words may contain braces.
    return preset.frame.replace("{brand_guide}", brand_guide).replace("{prompt}", user_prompt)
