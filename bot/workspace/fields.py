"""What a workspace's admins may set, and the one place each value is checked.

A workspace's *overrides* are a mapping ``{field: value}`` over :data:`FIELDS`, each field named
like the :class:`bot.settings.Settings` field it replaces; a field that is absent takes the
environment's value. A present ``None`` is a real choice (no daily limit, no budget), and an
empty channel list means every channel.

Values are checked with :func:`check` when an admin submits them (the modal shows the error under
the field) and again when they are read (:func:`apply`), because an operator may change
IMAGE_MODEL after a size was saved: a stored value the model no longer takes is ignored, with a
warning in the log, rather than breaking every request.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

from bot import messages
from bot.capabilities import ModelCapabilities, capabilities_for, check_quality, resolve_size
from bot.errors import UserInputError
from bot.settings import CHANNEL_ID, Settings
from bot.slack_text import escape_mrkdwn

log = logging.getLogger(__name__)

BRAND_GUIDE = "brand_guide"
DEFAULT_SIZE = "default_size"
DEFAULT_QUALITY = "default_quality"
DAILY_LIMIT = "user_daily_image_limit"
BUDGET = "monthly_budget_usd"
CHANNELS = "allowed_channel_ids"
FIELDS: tuple[str, ...] = (
    BRAND_GUIDE,
    DEFAULT_SIZE,
    DEFAULT_QUALITY,
    DAILY_LIMIT,
    BUDGET,
    CHANNELS,
)
LABELS = {
    BRAND_GUIDE: "Brand guide",
    DEFAULT_SIZE: "Default size",
    DEFAULT_QUALITY: "Default quality",
    DAILY_LIMIT: "Images per user per day",
    BUDGET: "Monthly budget (USD)",
    CHANNELS: "Channels Imagine may be used in",
}
BRAND_GUIDE_MAX = 2000
DAILY_LIMIT_MAX = 100_000
BUDGET_MAX_USD = 1_000_000.0
CHANNELS_MAX = 100
CHANNELS_SHOWN = 10  # on the Home tab, so that a section stays within 3,000 characters


def check(name: str, value: Any, caps: ModelCapabilities) -> Any:
    """The canonical value of field ``name`` for a model with ``caps``: sizes resolved
    (``square`` -> ``1024x1024``), numbers parsed from text, channels de-duplicated.

    Raises :class:`UserInputError` (``field`` = ``name``) with the sentence to show under the
    field, or ``KeyError`` for a name not in :data:`FIELDS`.
    """
    if name == BRAND_GUIDE:
        text = "" if value is None else str(value).strip()
        if len(text) > BRAND_GUIDE_MAX:
            raise UserInputError(
                messages.brand_guide_too_long(len(text), BRAND_GUIDE_MAX), field=name
            )
        return text
    if name == DEFAULT_SIZE:
        return resolve_size(str(value or ""), caps)
    if name == DEFAULT_QUALITY:
        return check_quality(str(value or ""), caps)
    if name == DAILY_LIMIT:
        return _whole_number(value, name)
    if name == BUDGET:
        return _amount(value, name)
    if name == CHANNELS:
        return _channels(value, name)
    raise KeyError(name)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _whole_number(value: Any, name: str) -> int | None:
    if _blank(value):
        return None
    error = UserInputError(messages.whole_number_needed(LABELS[name], DAILY_LIMIT_MAX), field=name)
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise error
    try:
        number = int(str(value).strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        raise error from None
    if not 0 <= number <= DAILY_LIMIT_MAX:
        raise error
    return number


def _amount(value: Any, name: str) -> float | None:
    if _blank(value):
        return None
    error = UserInputError(messages.amount_needed(LABELS[name], BUDGET_MAX_USD), field=name)
    if isinstance(value, bool):
        raise error
    try:
        amount = (
            float(str(value).strip().removeprefix("$")) if isinstance(value, str) else float(value)
        )
    except (TypeError, ValueError):
        raise error from None
    if not math.isfinite(amount) or not 0 <= amount <= BUDGET_MAX_USD:
        raise error
    return round(amount, 2)  # cents: the budget is compared with estimates in micro-dollars


def _channels(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or not all(isinstance(c, str) for c in value):
        raise UserInputError(messages.channels_invalid(0, CHANNELS_MAX), field=name)
    channels = list(dict.fromkeys(value))
    if len(channels) > CHANNELS_MAX:
        raise UserInputError(messages.channels_invalid(len(channels), CHANNELS_MAX), field=name)
    if not all(CHANNEL_ID.fullmatch(channel) for channel in channels):
        raise UserInputError(messages.channels_invalid(len(channels), CHANNELS_MAX), field=name)
    return channels


def apply(settings: Settings, *layers: Mapping[str, Any]) -> Settings:
    """``settings`` with each layer's overrides on top, in order (later layers win), every value
    checked against IMAGE_MODEL's capabilities; unknown fields and values that no longer pass
    are left out (logged). Returns ``settings`` itself when nothing applies."""
    caps = capabilities_for(settings.image_model)
    update: dict[str, Any] = {}
    for layer in layers:
        for name, value in layer.items():
            if name not in FIELDS:
                continue
            try:
                update[name] = check(name, value, caps)
            except UserInputError as exc:
                log.warning("ignoring the stored %s setting: %s", name, exc.text)
    return settings.model_copy(update=update) if update else settings


def values_of(settings: Settings) -> dict[str, Any]:
    """The current value of every field in :data:`FIELDS` (JSON-ready)."""
    return {name: _plain(getattr(settings, name)) for name in FIELDS}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else value


def changes(before: Settings, submitted: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """``{field: (old, new)}`` for each submitted field whose (canonical) value differs from
    ``before``'s: an environment's ``square`` and a submitted ``1024x1024`` are no change."""
    old = values_of(before)
    caps = capabilities_for(before.image_model)
    found = {}
    for name, value in submitted.items():
        if name not in FIELDS:
            continue
        try:
            same = _plain(value) == _plain(check(name, old[name], caps))
        except UserInputError:
            same = False
        if not same:
            found[name] = (old[name], _plain(value))
    return found


def channel_allowed(settings: Settings, channel_id: str) -> bool:
    """Whether Imagine may be used in ``channel_id``: any channel when ALLOWED_CHANNEL_IDS (or
    the workspace's list) is empty, else the listed ones; direct messages (``D…``) always, as
    what Imagine makes there reaches only the people in the conversation."""
    allowed = settings.allowed_channel_ids
    return not allowed or channel_id in allowed or channel_id.startswith("D")


def shown(name: str, value: Any) -> str:
    """A short mrkdwn rendering of a field's value, for the Home tab and the change history."""
    if name == BRAND_GUIDE:
        if not value:
            return "none"
        text = str(value).replace("\n", " ")
        return "“" + escape_mrkdwn(text if len(text) <= 60 else text[:59] + "…") + "”"
    if name == DAILY_LIMIT:
        return "no limit" if value is None else messages.plural(int(value), "image")
    if name == BUDGET:
        return "no budget" if value is None else messages.usd(float(value))
    if name == CHANNELS:
        if not value:
            return "every channel"
        listed = ", ".join(f"<#{c}>" for c in value[:CHANNELS_SHOWN])
        more = len(value) - CHANNELS_SHOWN
        return listed + (f" and {messages.plural(more, 'other')}" if more > 0 else "")
    return f"`{value}`"
