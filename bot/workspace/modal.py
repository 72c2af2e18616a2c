"""The Settings modal (Block Kit, built with ``slack_sdk.models``) that admins open from the
Home tab, and reading its ``view_submission`` back.

One input block per field of :mod:`bot.workspace.fields`, its ``block_id`` the field's name, so
that ``ack(response_action="errors", errors={block_id: text})`` puts each error under its field
(platform.md, "Modals"). Values are read from ``view.state.values[block_id][action_id]``:
``plain_text_input`` and ``number_input`` give ``value`` (``None`` when empty),
``static_select`` ``selected_option.value``, ``multi_conversations_select``
``selected_conversations``. Every value is checked on the server, whatever the client enforced.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ConversationFilter,
    ConversationMultiSelectElement,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import messages
from bot.capabilities import ModelCapabilities, capabilities_for
from bot.errors import UserInputError
from bot.settings import Settings
from bot.workspace import fields
from bot.workspace.fields import (
    BRAND_GUIDE,
    BUDGET,
    CHANNELS,
    DAILY_LIMIT,
    DEFAULT_QUALITY,
    DEFAULT_SIZE,
    LABELS,
)

CALLBACK_ID = "imagine_settings"
ACTION_ID = "value"
CUSTOM_SIZE = "custom_size"
SIZE_NAMES = {"square": "Square", "landscape": "Landscape", "portrait": "Portrait"}
NOTE = (
    "These settings apply to this workspace and take effect on the next request. An empty "
    "field means no limit, no budget, or every channel; direct messages with Imagine are always "
    "allowed."
)


def _option(value: str, label: str) -> Option:
    return Option(value=value, label=label[:75])


def size_options(caps: ModelCapabilities, current: str) -> list[Option]:
    """``auto`` (where the model has it), the named sizes, the model's other fixed sizes, and
    ``current`` when it is a custom size."""
    options: list[Option] = []
    if "auto" in caps.sizes:
        options.append(_option("auto", "Auto (the model chooses)"))
    for name, label in SIZE_NAMES.items():
        if name in caps.named_sizes:
            options.append(_option(caps.named_sizes[name], f"{label} ({caps.named_sizes[name]})"))
    for size in caps.sizes:
        if size not in {o.value for o in options}:
            options.append(_option(size, size))
    if current not in {o.value for o in options}:
        options.append(_option(current, f"Custom ({current})"))
    return options


def build_settings_modal(settings: Settings, *, organisation: bool = False) -> View:
    """The modal, each field at ``settings``' current value (the workspace's effective
    settings). ``organisation``: the settings of an Enterprise Grid org-wide install."""
    caps = capabilities_for(settings.image_model)
    size = _canonical(fields.DEFAULT_SIZE, settings.default_size, caps)
    options = size_options(caps, size)
    current_size = next(o for o in options if o.value == size)
    quality = _canonical(fields.DEFAULT_QUALITY, settings.default_quality, caps)
    qualities = [_option(q, q.capitalize()) for q in caps.qualities]
    current_quality = next((o for o in qualities if o.value == quality), None)
    limit, budget = settings.user_daily_image_limit, settings.monthly_budget_usd
    blocks: list[Block] = [
        InputBlock(
            block_id=BRAND_GUIDE,
            label=LABELS[BRAND_GUIDE],
            optional=True,
            hint="Added to every brand-asset prompt (colours, style, tone).",
            element=PlainTextInputElement(
                action_id=ACTION_ID,
                multiline=True,
                max_length=fields.BRAND_GUIDE_MAX,
                initial_value=settings.brand_guide or None,
                placeholder="Deep navy and coral, flat illustration, generous white space",
            ),
        ),
        InputBlock(
            block_id=DEFAULT_SIZE,
            label=LABELS[DEFAULT_SIZE],
            element=StaticSelectElement(
                action_id=ACTION_ID, options=options, initial_option=current_size
            ),
        ),
    ]
    if caps.custom_sizes:
        blocks.append(
            InputBlock(
                block_id=CUSTOM_SIZE,
                label="Or a custom default size",
                optional=True,
                hint="WIDTHxHEIGHT, sides divisible by 16, ratio 1:3 to 3:1, up to 3840x2160. "
                "Replaces the choice above.",
                element=PlainTextInputElement(
                    action_id=ACTION_ID, max_length=11, placeholder="1536x864"
                ),
            )
        )
    blocks += [
        InputBlock(
            block_id=DEFAULT_QUALITY,
            label=LABELS[DEFAULT_QUALITY],
            element=StaticSelectElement(
                action_id=ACTION_ID, options=qualities, initial_option=current_quality
            ),
        ),
        InputBlock(
            block_id=DAILY_LIMIT,
            label=LABELS[DAILY_LIMIT],
            optional=True,
            hint="Empty: no limit. Imagine's operators (ADMIN_USER_IDS) are exempt.",
            element=NumberInputElement(
                action_id=ACTION_ID,
                is_decimal_allowed=False,
                min_value=0,
                max_value=fields.DAILY_LIMIT_MAX,
                initial_value=None if limit is None else str(limit),
            ),
        ),
        InputBlock(
            block_id=BUDGET,
            label=LABELS[BUDGET],
            optional=True,
            hint="Estimated image spend per UTC month; empty: no budget.",
            element=NumberInputElement(
                action_id=ACTION_ID,
                is_decimal_allowed=True,
                min_value=0,
                max_value=int(fields.BUDGET_MAX_USD),
                initial_value=None if budget is None else f"{budget:g}",
            ),
        ),
        InputBlock(
            block_id=CHANNELS,
            label=LABELS[CHANNELS],
            optional=True,
            hint="Empty: every channel.",
            element=ConversationMultiSelectElement(
                action_id=ACTION_ID,
                placeholder="Every channel",
                initial_conversations=list(settings.allowed_channel_ids) or None,
                filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
                max_selected_items=fields.CHANNELS_MAX,
            ),
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=NOTE.replace("this workspace", "every workspace of your organisation")
                    if organisation
                    else NOTE
                )
            ]
        ),
    ]
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title=messages.SETTINGS_TITLE,
        submit="Save",
        close="Cancel",
        blocks=blocks,
    )


def _canonical(name: str, value: str, caps: ModelCapabilities) -> str:
    """``value`` as the modal offers it (``square`` -> ``1024x1024``; DALL·E's ``auto``
    quality -> ``standard``); unchanged if the model does not take it."""
    try:
        return str(fields.check(name, value, caps))
    except UserInputError:
        return value


def admins_only_modal() -> View:
    """What a non-admin sees if they manage to press Settings."""
    return View(
        type="modal",
        title=messages.SETTINGS_TITLE,
        close="Close",
        blocks=[ContextBlock(elements=[MarkdownTextObject(text=messages.SETTINGS_ADMINS_ONLY)])],
    )


def _entry_value(state_values: dict[str, Any], block_id: str) -> Any:
    entry = (state_values.get(block_id) or {}).get(ACTION_ID)
    if not isinstance(entry, dict):
        return None
    kind = entry.get("type")
    if kind == "static_select":
        selected = entry.get("selected_option")
        return selected.get("value") if isinstance(selected, dict) else None
    if kind == "multi_conversations_select":
        return entry.get("selected_conversations")
    return entry.get("value")


def read_settings(
    state_values: dict[str, Any], settings: Settings
) -> tuple[dict[str, Any], dict[str, str]]:
    """The submitted value of every field, checked for IMAGE_MODEL: ``(values, errors)`` where
    ``errors`` maps a ``block_id`` to the sentence to show under it (empty when all is well).
    A custom size, when given, replaces the chosen one and its error goes under it."""
    caps = capabilities_for(settings.image_model)
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    custom = _entry_value(state_values, CUSTOM_SIZE) if caps.custom_sizes else None
    for name in fields.FIELDS:
        raw = _entry_value(state_values, name)
        block = name
        if name == DEFAULT_SIZE and isinstance(custom, str) and custom.strip():
            raw, block = custom, CUSTOM_SIZE
        if name in (DEFAULT_SIZE, DEFAULT_QUALITY) and not raw:
            errors[block] = f"Choose a {LABELS[name].lower()}."
            continue
        try:
            values[name] = fields.check(name, raw, caps)
        except UserInputError as exc:
            errors[block] = exc.text
    return values, errors
