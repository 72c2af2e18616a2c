"""The admins' part of the Home tab: the workspace's settings with a **Settings** button that opens
the modal, and the last few changes (who, when, what).

Built with slack_sdk's block models (Slack "Building an App Home"; a section's text holds at most
3000 characters, a context block at most 10 elements).
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.messages import settings_change_line
from bot.settings import Settings
from bot.store import SettingsChange
from bot.workspace import fields

OPEN_SETTINGS_ACTION_ID = "imagine_open_settings"
CHANGES_SHOWN = 5
SECTION_MAX_CHARS = 3000


def settings_text(settings: Settings) -> str:
    """The workspace's current settings, one line per field."""
    lines = ["*Workspace settings*"]
    for name in fields.FIELDS:
        lines.append(f"• {fields.LABELS[name]}: {fields.shown(name, getattr(settings, name))}")
    text = "\n".join(lines)
    return text if len(text) <= SECTION_MAX_CHARS else text[: SECTION_MAX_CHARS - 1] + "…"


def change_text(change: SettingsChange) -> str:
    """``<date> · <@U1> set the daily limit from 10 images to 20 images; …``."""
    parts = []
    for name, (old, new) in change.changes.items():
        label = fields.LABELS.get(name, name).lower()
        if name == fields.BRAND_GUIDE:
            parts.append(f"changed the {label} to {fields.shown(name, new)}")
        else:
            parts.append(f"set {label} from {fields.shown(name, old)} to {fields.shown(name, new)}")
    return settings_change_line(change.user_id, change.changed_at, parts)


def settings_blocks(settings: Settings, changes: list[SettingsChange]) -> list[Block]:
    """Divider, header, the settings with the Settings button, and the recent changes."""
    blocks: list[Block] = [
        DividerBlock(),
        HeaderBlock(text="Settings (admins only)"),
        SectionBlock(
            text=MarkdownTextObject(text=settings_text(settings)),
            accessory=ButtonElement(
                text="Settings", action_id=OPEN_SETTINGS_ACTION_ID, value="open"
            ),
        ),
    ]
    if changes:
        lines = "\n".join(change_text(c) for c in changes[:CHANGES_SHOWN])
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=f"*Recent changes*\n{lines}"[:SECTION_MAX_CHARS])
            )
        )
    else:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(text="No changes yet: the environment's defaults apply.")
                ]
            )
        )
    return blocks
