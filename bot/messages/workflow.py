"""The Workflow Builder step "Generate images" (issue #9).

Part of :mod:`bot.messages` (every sentence users read); Slack mrkdwn.
"""

from __future__ import annotations

# --- Workflow Builder step "Generate images" (issue #9) ------------------------------------------
# Sent to Slack with functions.completeError; Workflow Builder shows them to the workflow's owner
# and the person who ran it.

STEP_CHANNEL_MISSING = (
    "Choose the channel to post the images in (the step's “Channel” input is empty or not a "
    "channel)."
)


def step_input_malformed(name: str) -> str:
    """Shown when an input arrives with the wrong type (e.g. an object for the prompt)."""
    return f"The step's input `{name}` has a value I can't use. Check it in Workflow Builder."


def step_n_invalid(value: str, max_images: int) -> str:
    """Shown when “Number of images” is not a whole number in range."""
    return (
        f"“Number of images” must be a whole number from 1 to {max_images}; it was `{value[:20]}`."
    )


def step_preset_unknown(value: str) -> str:
    """Shown for a preset other than none, slide or brand."""
    return f"`{value[:20]}` is not a preset. Use `none`, `slide` or `brand`."


def step_thread_elsewhere(thread_channel: str, channel_id: str) -> str:
    """Shown when the message to reply under is not in the chosen channel."""
    return (
        f"The message to reply under is in <#{thread_channel}>, but the images are to go to "
        f"<#{channel_id}>. Choose the same channel for both."
    )


def step_thread_ts_invalid(value: str) -> str:
    """Shown when the thread timestamp is not a message timestamp."""
    return f"`{value[:40]}` is not a message timestamp (like `1700000000.000100`)."


def step_user_invalid(value: str) -> str:
    """Shown when “Requested by” is not a user id."""
    return f"`{value[:40]}` is not a Slack user. Choose a person for “Requested by”."


STEP_INTERRUPTED = (
    "Imagine restarted before this step finished, so no images were posted. Run the workflow again."
)


__all__ = [
    "STEP_CHANNEL_MISSING",
    "STEP_INTERRUPTED",
    "step_input_malformed",
    "step_n_invalid",
    "step_preset_unknown",
    "step_thread_elsewhere",
    "step_thread_ts_invalid",
    "step_user_invalid",
]
