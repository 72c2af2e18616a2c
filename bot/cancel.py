"""The Cancel button on a request's "Generating…" / "number 4 in line" answer.

The button's ``value`` is the job id (12 hex characters; Slack caps values at 2000 characters,
platform.md "Modals"); only the person who asked may use it (the listener checks).
"""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock

from bot import messages

CANCEL_ACTION_ID = "imagine_cancel"


def cancel_blocks(text: str, job_id: str) -> list[Block]:
    """Block Kit: ``text`` and a Cancel button for the job ``job_id``."""
    return [
        SectionBlock(text=text),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=messages.CANCEL_LABEL,
                    action_id=CANCEL_ACTION_ID,
                    value=job_id,
                    style="danger",
                )
            ]
        ),
    ]
