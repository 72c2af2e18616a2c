"""The Cancel button on a request's "Generating…" / "number 4 in line" answer.

The button's ``value`` is the job id (12 hex characters; Slack caps values at 2000 characters,
platform.md "Modals"); only the person who asked may use it (the listener checks).

Every accepted request's ack carries these blocks, so they are built from slack_sdk's Block Kit
models (which validate them) once, and each answer fills in its text and job id: a burst of
500 slash commands does not validate 1000 blocks on the ack path.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock

from bot import messages

CANCEL_ACTION_ID = "imagine_cancel"
SECTION_TEXT_MAX_CHARS = 3000  # a section block's text (Block Kit reference, "Section")


def _models(text: str, job_id: str) -> list[Block]:
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


@cache
def _template() -> tuple[dict[str, Any], ...]:
    return tuple(block.to_dict() for block in _models("text", "0" * 12))


def cancel_blocks(text: str, job_id: str) -> list[dict[str, Any]]:
    """Block Kit (as JSON objects): ``text`` (mrkdwn, at most 3000 characters, else slack_sdk's
    ``SlackObjectFormationError``) and a Cancel button for the job ``job_id``."""
    if len(text) > SECTION_TEXT_MAX_CHARS:
        return [block.to_dict() for block in _models(text, job_id)]  # raises, saying why
    section, actions = _template()
    button = actions["elements"][0]
    return [
        {**section, "text": {**section["text"], "text": text}},
        {**actions, "elements": [{**button, "text": dict(button["text"]), "value": job_id}]},
    ]
