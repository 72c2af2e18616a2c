"""Models and shutdown dates (issue #10); read by admins.

Part of :mod:`bot.messages` (every sentence users read); Slack mrkdwn.
"""

from __future__ import annotations

from datetime import date

from bot.messages.format import plural
from bot.slack_text import escape_mrkdwn

# --- Models and shutdown dates (issue #10); read by admins ------------------------------------

OTHER_MAINLINE_MODEL = (
    "a current mainline model from the gpt-4.1, gpt-5 or o3 families, or set IMAGE_API=images"
)


CURRENT_IMAGE_MODEL = "gpt-image-2"  # OpenAI's one current image model (platform.md)


def _instead(setting: str, replacement: str | None, model: str = "") -> str:
    if replacement is None:
        if setting == "RESPONSES_MODEL":
            return OTHER_MAINLINE_MODEL
        if model == CURRENT_IMAGE_MODEL:
            return (
                "the image model OpenAI names as its replacement "
                "(platform.openai.com/docs/deprecations)"
            )
        return f"IMAGE_MODEL={CURRENT_IMAGE_MODEL}"
    return f"{setting}={replacement}"


def model_not_found(setting: str, model: str, base_url: str, replacement: str | None) -> str:
    """Start refused: ``GET /models/{model}`` answered 404. For the current image model itself
    the fix is access, not another model."""
    cause = "the model is retired, misspelt, or this API key may not use it"
    if setting == "IMAGE_MODEL" and model == CURRENT_IMAGE_MODEL:
        return (
            f"{setting}={model} is not available at {base_url} (404 model_not_found: {cause}); "
            "it is OpenAI's current image model, so check that the project of this API key "
            "has access to it."
        )
    return (
        f"{setting}={model} is not available at {base_url} (404 model_not_found: {cause}); use "
        f"{_instead(setting, replacement)} instead."
    )


def model_shut_down(setting: str, model: str, shutdown_date: date, replacement: str | None) -> str:
    """A settings problem: ``model`` is past OpenAI's shutdown date and OPENAI_BASE_URL is
    OpenAI's own API."""
    return (
        f"{setting}={model} was shut down by OpenAI on {shutdown_date:%Y-%m-%d}; use "
        f"{_instead(setting, replacement)} instead (older models work only on an "
        "OpenAI-compatible server set in OPENAI_BASE_URL)."
    )


def api_key_rejected(base_url: str, code: str | None) -> str:
    """Start refused: ``GET /models/{model}`` answered 401."""
    return (
        f"OPENAI_API_KEY was rejected by {base_url} (401 {code or 'unauthorized'}); create a "
        "key at platform.openai.com > API keys and set OPENAI_API_KEY to it."
    )


def model_shutdown_notice(
    setting: str,
    model: str,
    shutdown_date: date,
    replacement: str | None,
    *,
    today: date,
    advisory: bool,
) -> str:
    """A model's shutdown date is near or past (a WARNING log line and the admins' Home tab).
    ``advisory``: OPENAI_BASE_URL is not OpenAI's, which may keep serving the model."""
    days = (shutdown_date - today).days
    if days > 0:
        when = f"shuts down on {shutdown_date:%Y-%m-%d} (in {plural(days, 'day')})"
    elif days == 0:
        when = f"shuts down today, {shutdown_date:%Y-%m-%d}"
    else:
        when = f"was shut down by OpenAI on {shutdown_date:%Y-%m-%d}"
    text = f"{setting}={model} {when}; switch to {_instead(setting, replacement, model)}"
    text += " before then." if days > 0 else "."
    if advisory:
        text += " (OpenAI's date; your OPENAI_BASE_URL server may keep serving it.)"
    return text


def home_model_notice(text: str) -> str:
    """The admins' Home tab line for a model notice from :func:`model_shutdown_notice`."""
    return f":warning: *Model notice:* {escape_mrkdwn(text)}"


__all__ = [
    "OTHER_MAINLINE_MODEL",
    "api_key_rejected",
    "home_model_notice",
    "model_not_found",
    "model_shut_down",
    "model_shutdown_notice",
]
