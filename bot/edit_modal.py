"""The Edit… modal (issue #8): the instruction (at most PROMPT_MAX_CHARS), which image, n,
size and quality, defaulting to the result's own options; and reading its submission.

Built with slack_sdk's Block Kit models; limits as in :mod:`bot.modal` (platform.md, "Modals").
The fields share the Imagine modal's block ids, so :func:`bot.modal.read_submission` reads them;
``private_metadata`` holds the result's job id and where to answer.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from slack_sdk.models.blocks import InputBlock, Option, PlainTextInputElement, StaticSelectElement
from slack_sdk.models.views import View

from bot import messages
from bot.capabilities import capabilities_for, check_quality, resolve_size
from bot.errors import UserInputError
from bot.modal import ACTION_ID, PROMPT, QUALITY, SIZE, SIZE_LABELS, N, input_max_length
from bot.payloads import _Payload
from bot.settings import Settings
from bot.store.conversations import Turn

EDIT_CALLBACK_ID = "imagine_edit_modal"
IMAGE = "image"


class EditModalContext(_Payload):
    """What the Edit… modal remembers (``private_metadata``, at most 3000 characters)."""

    job_id: str
    channel_id: str
    image: int = 1
    response_url: str | None = None

    def dump(self) -> str:
        """JSON for ``private_metadata``."""
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def load(cls, raw: str) -> EditModalContext | None:
        """Parse ``private_metadata``; ``None`` when it is not ours."""
        try:
            return cls.model_validate_json(raw)
        except (ValidationError, json.JSONDecodeError):
            return None


def _select(block_id: str, label: str, options: list[Option], initial: str) -> InputBlock:
    chosen = next((o for o in options if o.value == initial), options[0])
    return InputBlock(
        block_id=block_id,
        label=label,
        element=StaticSelectElement(action_id=ACTION_ID, options=options, initial_option=chosen),
    )


def build_edit_modal(
    turn: Turn, number: int, settings: Settings, context: EditModalContext
) -> View:
    """The modal editing image ``number`` of ``turn``, its options at the result's own."""
    caps = capabilities_for(settings.image_model)
    parent = turn.image_request()
    size = parent.size if parent else resolve_size(settings.default_size, caps)
    quality = parent.quality if parent else check_quality(settings.default_quality, caps)
    sizes = [Option(value=size, label=f"Same as the image ({size})"[:75])]
    for name in ("square", "landscape", "portrait", "auto"):
        if name in caps.named_sizes or name in caps.sizes:
            value = caps.named_sizes.get(name, name)
            if value not in {o.value for o in sizes}:
                sizes.append(Option(value=value, label=f"{SIZE_LABELS[name]} ({value})"[:75]))
    blocks: list[Any] = [
        InputBlock(
            block_id=PROMPT,
            label=messages.EDIT_INSTRUCTION_LABEL,
            element=PlainTextInputElement(
                action_id=ACTION_ID,
                multiline=True,
                max_length=input_max_length(settings.prompt_max_chars),
                placeholder=messages.EDIT_INSTRUCTION_PLACEHOLDER,
            ),
        )
    ]
    if len(turn.images) > 1:
        images = [
            Option(value=str(k), label=messages.image_label(k))
            for k in range(1, len(turn.images) + 1)
        ]
        blocks.append(_select(IMAGE, messages.EDIT_IMAGE_LABEL, images, str(number)))
    blocks += [
        _select(
            N,
            "Number of images",
            [Option(value=str(i), label=str(i)) for i in range(1, settings.max_images + 1)],
            "1",
        ),
        _select(SIZE, "Size", sizes, size),
        _select(
            QUALITY,
            "Quality",
            [Option(value=q, label=q.capitalize()) for q in caps.qualities],
            quality,
        ),
    ]
    return View(
        type="modal",
        callback_id=EDIT_CALLBACK_ID,
        title=messages.EDIT_MODAL_TITLE,
        submit=messages.EDIT_MODAL_SUBMIT,
        close="Cancel",
        private_metadata=context.model_copy(update={"image": number}).dump(),
        blocks=blocks,
    )


def chosen_image(state_values: dict[str, Any], context: EditModalContext, images: int) -> int:
    """The image the submission edits: the menu's choice, else the one the modal was opened
    for. Raises :class:`UserInputError` (on the image field) for one the result lacks."""
    entry = state_values.get(IMAGE, {}).get(ACTION_ID)
    value: Any = context.image
    if isinstance(entry, dict):
        selected = entry.get("selected_option") or {}
        if isinstance(selected, dict) and selected.get("value") is not None:
            value = selected["value"]
    number = int(value) if str(value).isdigit() else 0
    if not 1 <= number <= images:
        raise UserInputError(messages.no_such_image(number, images), field=IMAGE)
    return number
