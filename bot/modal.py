"""The Imagine modal (Block Kit, built with ``slack_sdk.models``): the prompt and the request's
options, prefilled for a preset; and reading a ``view_submission`` back.

Limits (platform.md, "Modals"): ``plain_text_input`` ``max_length`` 1000 for the prompt (Block
Kit allows at most 3000, so a larger PROMPT_MAX_CHARS is capped there: :data:`INPUT_MAX_LENGTH`),
``static_select`` at most 100 options of at most 75 characters, ``private_metadata`` at most 3000
characters. Values are read from ``view.state.values[block_id][action_id]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import messages
from bot.capabilities import capabilities_for, check_quality, resolve_size
from bot.command import RawOptions, parse_n
from bot.errors import UserInputError
from bot.payloads import ModalContext
from bot.request import preset_for
from bot.settings import Settings
from bot.slack_text import clean_text

CALLBACK_ID = "imagine_modal"
ACTION_ID = "value"
PROMPT, N, SIZE, QUALITY, BACKGROUND = "prompt", "n", "size", "quality", "background"
# Block Kit reference, "Plain-text input element": max_length "less than or equal to 3000".
INPUT_MAX_LENGTH = 3000


def input_max_length(prompt_max_chars: int) -> int:
    """``max_length`` of a prompt or instruction input: PROMPT_MAX_CHARS, at most 3000."""
    return min(prompt_max_chars, INPUT_MAX_LENGTH)


USE_IMAGES, LEAVE_OUT = "use_images", "leave_out"
TITLES = {"general": "Imagine", "slide": "Imagine a slide", "brand": "Imagine a brand asset"}
SIZE_LABELS = {"square": "Square", "landscape": "Landscape", "portrait": "Portrait", "auto": "Auto"}


def _option(value: str, label: str | None = None) -> Option:
    return Option(value=value, label=(label or value)[:75])


def _select(block_id: str, label: str, options: list[Option], initial: str) -> InputBlock:
    chosen = next((o for o in options if o.value == initial), options[0])
    return InputBlock(
        block_id=block_id,
        label=label,
        element=StaticSelectElement(action_id=ACTION_ID, options=options, initial_option=chosen),
    )


def build_modal(
    context: ModalContext, prefill: str, settings: Settings, *, left_out: Sequence[str] = ()
) -> View:
    """The modal for ``context.preset``, its prompt prefilled with ``prefill`` (cut to the prompt
    limit) and each option at the preset's default. ``context`` goes to ``private_metadata``;
    ``left_out`` says why some of the message's images will not be used."""
    caps = capabilities_for(settings.image_model)
    preset = preset_for(context.preset, settings)  # type: ignore[arg-type]
    default_size = resolve_size(preset.size, caps)
    size_options = [_option(default_size, f"Preset: {default_size}")]
    for name in ("square", "landscape", "portrait", "auto"):
        if name in caps.named_sizes or name in caps.sizes:
            value = caps.named_sizes.get(name, name)
            if value not in {o.value for o in size_options}:
                size_options.append(_option(value, f"{SIZE_LABELS[name]} ({value})"))
    blocks: list[Any] = [
        InputBlock(
            block_id=PROMPT,
            label="Prompt" if preset.name == "general" else f"{preset.label}: describe it",
            element=PlainTextInputElement(
                action_id=ACTION_ID,
                multiline=True,
                max_length=input_max_length(settings.prompt_max_chars),
                initial_value=prefill[: input_max_length(settings.prompt_max_chars)] or None,
                placeholder="A watercolour fox in a snowy forest",
            ),
        ),
        _select(
            N,
            "Number of images",
            [_option(str(i)) for i in range(1, settings.max_images + 1)],
            "1",
        ),
        _select(SIZE, "Size", size_options, default_size),
        _select(
            QUALITY,
            "Quality",
            [_option(q, q.capitalize()) for q in caps.qualities],
            check_quality(settings.default_quality, caps),
        ),
    ]
    if preset.offers_transparent and caps.backgrounds:
        blocks.append(
            _select(
                BACKGROUND,
                "Background",
                [
                    _option("auto", "Auto"),
                    _option("transparent", "Transparent (PNG)"),
                    _option("opaque", "Opaque"),
                ],
                "auto",
            )
        )
    if context.files:
        blocks += [
            ContextBlock(
                elements=[MarkdownTextObject(text=messages.using_images(len(context.files)))]
            ),
            InputBlock(
                block_id=USE_IMAGES,
                label="Images",
                optional=True,
                element=CheckboxesElement(
                    action_id=ACTION_ID,
                    options=[Option(value=LEAVE_OUT, label=messages.LEAVE_OUT_IMAGES)],
                ),
            ),
        ]
    if left_out:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=messages.images_left_out(list(left_out)))]
            )
        )
    if preset.name == "brand" and settings.brand_guide.strip():
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text="Your workspace's brand guide is applied.")]
            )
        )
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title=TITLES.get(preset.name, "Imagine"),
        submit="Generate",
        close="Cancel",
        private_metadata=context.dump(),
        blocks=blocks,
    )


def read_submission(state_values: dict[str, Any], *, max_images: int) -> tuple[str, RawOptions]:
    """Read the prompt and options from ``view.state.values``.

    Raises :class:`UserInputError` with ``field`` set to the block at fault when a value is
    missing or not one the modal offered (a forged or stale submission).
    """

    def value(block_id: str) -> str | None:
        entry = state_values.get(block_id, {}).get(ACTION_ID)
        if not isinstance(entry, dict):
            return None
        if entry.get("type") == "static_select":
            selected = entry.get("selected_option") or {}
            return selected.get("value") if isinstance(selected, dict) else None
        raw = entry.get("value")
        return raw if isinstance(raw, str) else None

    prompt = clean_text(value(PROMPT) or "")
    n_text = value(N)
    options = RawOptions(
        n=parse_n(n_text, max_images) if n_text is not None else None,
        size=value(SIZE),
        quality=value(QUALITY),
        background=value(BACKGROUND),
    )
    return prompt, options


def leaves_images_out(state_values: dict[str, Any]) -> bool:
    """Whether the person ticked "Leave them out" (the source message's images)."""
    entry = state_values.get(USE_IMAGES, {}).get(ACTION_ID)
    selected = entry.get("selected_options") if isinstance(entry, dict) else None
    return any(isinstance(o, dict) and o.get("value") == LEAVE_OUT for o in selected or [])


def field_errors(exc: UserInputError) -> dict[str, str]:
    """``errors`` for ``ack(response_action="errors")``: the message under the field at fault
    (the prompt field when the error names no field)."""
    block = exc.field if exc.field in (PROMPT, N, SIZE, QUALITY, BACKGROUND) else PROMPT
    return {block: exc.text}
