"""The per-image actions offered under each result (issue #8): **Edit…** (a modal) and
**Variations**, for image 1..n, beside Regenerate.

One image: two buttons. Several: two ``static_select`` menus whose options are the images (an
overflow menu holds at most 5 options, and a result may have up to 10 images). Values are short
keys, ``<job id>:<image number>`` (Slack caps button values at 2000 characters and option values
at 150; platform.md, "Modals"): the conversation store has the rest.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import ButtonElement, InteractiveElement, Option, StaticSelectElement

from bot import messages

EDIT_ACTION_ID = "imagine_edit"
VARIATIONS_ACTION_ID = "imagine_variations"


def image_value(job_id: str, number: int) -> str:
    """The action value for image ``number`` (1-based) of ``job_id``'s result."""
    return f"{job_id}:{number}"


def parse_image_value(value: str) -> tuple[str, int] | None:
    """``(job id, image number)`` from :func:`image_value`; ``None`` when malformed."""
    job_id, _, number = value.partition(":")
    if not job_id or len(job_id) > 64 or not number.isdigit() or not 1 <= int(number) <= 100:
        return None
    return job_id, int(number)


def action_value(action: dict[str, Any]) -> str:
    """The value of a clicked button or the chosen option of a ``static_select``."""
    selected = action.get("selected_option")
    if isinstance(selected, dict):
        return str(selected.get("value") or "")
    return str(action.get("value") or "")


def per_image_elements(job_id: str, images: int) -> list[InteractiveElement]:
    """The Edit… and Variations elements for a result of ``images`` images (none for 0)."""
    if images <= 0:
        return []
    if images == 1:
        return [
            ButtonElement(
                text=messages.EDIT_BUTTON, action_id=EDIT_ACTION_ID, value=image_value(job_id, 1)
            ),
            ButtonElement(
                text=messages.VARIATIONS_BUTTON,
                action_id=VARIATIONS_ACTION_ID,
                value=image_value(job_id, 1),
            ),
        ]
    options = [
        Option(value=image_value(job_id, k), label=messages.image_label(k))
        for k in range(1, images + 1)
    ]
    return [
        StaticSelectElement(
            action_id=EDIT_ACTION_ID, placeholder=messages.EDIT_MENU, options=options
        ),
        StaticSelectElement(
            action_id=VARIATIONS_ACTION_ID, placeholder=messages.VARIATIONS_MENU, options=options
        ),
    ]
