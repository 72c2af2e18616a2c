"""The "Generate images" step's inputs, as ``function_executed`` delivers them in
``event.inputs``, turned into a validated :class:`bot.request.ImageRequest` and a destination.

Input names and types are those of ``manifest.yml`` (``functions.generate_images
.input_parameters``). Values arrive as JSON: strings, integers, a ``message_context`` object
``{"channel_id", "message_ts"}``, an ``interactivity`` object ``{"interactivity_pointer",
"interactor": {"id", "secret"}}`` (Slack's "Types" reference). Optional inputs left empty in
Workflow Builder arrive absent, ``null`` or ``""``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot import messages
from bot.command import RawOptions
from bot.errors import UserInputError
from bot.request import ImageRequest, PresetName, build_request
from bot.settings import Settings
from bot.slack_text import slack_to_plain

MESSAGE_TS = re.compile(r"^\d{10}\.\d{6}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
CHANNEL_ID = re.compile(r"^[CDG][A-Z0-9]+$")
PRESETS: dict[str, PresetName] = {
    "none": "general",
    "general": "general",
    "slide": "slide",
    "brand": "brand",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MessageContext(_Model):
    """``slack#/types/message_context``: a message from an earlier step."""

    channel_id: str
    message_ts: str


class Interactor(_Model):
    """The person who interacted (``interactivity.interactor``); ``secret`` is ignored."""

    id: str


class Interactivity(_Model):
    """``slack#/types/interactivity``: present when the workflow was started by a person."""

    interactor: Interactor | None = None


class RawStepInputs(_Model):
    """``event.inputs`` as sent; empty strings count as not given."""

    prompt: str | None = None
    channel_id: str | None = None
    n: Any = None
    size: str | None = None
    quality: str | None = None
    preset: str | None = None
    message_context: MessageContext | None = None
    thread_ts: str | None = None
    user_id: str | None = None
    interactivity: Interactivity | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value


@dataclass(frozen=True)
class StepInputs:
    """Validated inputs: the request, where its images go (``thread_ts`` may be ``None``) and
    who asked (``user_id``: the ``user_id`` input, else the person who started the workflow,
    else ``None``)."""

    request: ImageRequest
    channel_id: str
    thread_ts: str | None
    user_id: str | None


def parse_inputs(inputs: dict[str, Any] | None, settings: Settings) -> StepInputs:
    """Validate ``inputs`` with the same rules as ``/imagine`` (:func:`bot.request.build_request`:
    prompt length, n, size, quality against the settings and the model's capabilities).

    Raises :class:`UserInputError` whose ``text`` names the input to fix.
    """
    try:
        raw = RawStepInputs.model_validate(inputs or {})
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors() else "inputs"
        raise UserInputError(messages.step_input_malformed(field), field=field) from None
    if raw.channel_id is None or not CHANNEL_ID.match(raw.channel_id.strip()):
        raise UserInputError(messages.STEP_CHANNEL_MISSING, field="channel_id")
    channel_id = raw.channel_id.strip()
    preset = PRESETS.get((raw.preset or "none").strip().lower())
    if preset is None:
        raise UserInputError(messages.step_preset_unknown(raw.preset or ""), field="preset")
    n = _images(raw.n, settings.max_images)
    prompt = slack_to_plain(raw.prompt or "")
    options = RawOptions(n=n, size=_text(raw.size), quality=_text(raw.quality))
    request = build_request(prompt, options, settings, preset=preset)
    return StepInputs(
        request=request,
        channel_id=channel_id,
        thread_ts=_thread_ts(raw, channel_id),
        user_id=_user(raw),
    )


def _text(value: str | None) -> str | None:
    return value.strip() if value else None


def _images(value: Any, max_images: int) -> int:
    """The number of images: a whole number from 1 to ``max_images``; 1 when not given."""
    if value is None:
        return 1
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 1 <= number <= max_images:
        raise UserInputError(messages.step_n_invalid(str(value), max_images), field="n")
    return number


def _thread_ts(raw: RawStepInputs, channel_id: str) -> str | None:
    """The thread to reply in: the ``message_context``'s message (which must be in the chosen
    channel), else ``thread_ts``."""
    ts: str | None = raw.thread_ts
    if raw.message_context is not None:
        context = raw.message_context
        if context.channel_id != channel_id:
            raise UserInputError(
                messages.step_thread_elsewhere(context.channel_id, channel_id),
                field="message_context",
            )
        ts = context.message_ts
    if ts is None:
        return None
    ts = ts.strip()
    if not MESSAGE_TS.match(ts):
        raise UserInputError(messages.step_thread_ts_invalid(ts), field="thread_ts")
    return ts


def _user(raw: RawStepInputs) -> str | None:
    user_id = raw.user_id
    if user_id is None and raw.interactivity and raw.interactivity.interactor:
        user_id = raw.interactivity.interactor.id
    if user_id is None:
        return None
    user_id = user_id.strip()
    if not USER_ID.match(user_id):
        raise UserInputError(messages.step_user_invalid(user_id), field="user_id")
    return user_id
