"""Help and validation: what `/imagine` accepts and what to change when input is wrong.

Part of :mod:`bot.messages` (every sentence users read); Slack mrkdwn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.messages.conversations import REFINE_HELP
from bot.messages.format import join_quoted

if TYPE_CHECKING:
    from bot.capabilities import ModelCapabilities


# --- Usage -----------------------------------------------------------------------------------


def usage(max_images: int, prompt_max_chars: int) -> str:
    """The help text of ``/imagine``."""
    return (
        "*Imagine* turns a prompt into images, right here.\n"
        "`/imagine [options] <prompt>`, for example `/imagine --n 2 --size landscape a flying "
        "car over the sea`\n"
        f"• `--n N`: how many images, 1 to {max_images}\n"
        "• `--size`: `square`, `landscape`, `portrait`, `auto` or `WIDTHxHEIGHT`\n"
        "• `--quality`: `low`, `medium`, `high` or `auto`\n"
        "• `--background`: `transparent`, `opaque` or `auto`\n"
        "Write `--opt=value` if you prefer, and `--` before a prompt that starts with dashes.\n"
        f"A prompt can be up to {prompt_max_chars:,} characters. `/imagine` alone opens a form; "
        "`/imagine usage` shows what you have generated. Mention me in a thread to get images "
        "there, or use the message shortcuts *Imagine a slide* and *Imagine a brand asset*.\n"
        f"{REFINE_HELP}"
    )


# --- Validation --------------------------------------------------------------------------------

PROMPT_EMPTY = (
    "Your prompt is empty. Describe the image you want, e.g. `/imagine a red fox in snow`."
)


def prompt_too_long(length: int, limit: int) -> str:
    """Shown when the prompt is over PROMPT_MAX_CHARS."""
    return (
        f"Your prompt is {length:,} characters; the limit is {limit:,}. Shorten it and try again."
    )


def framed_prompt_too_long(length: int, limit: int, model: str) -> str:
    """Shown when a preset's frame pushes the prompt over the model's own limit."""
    return (
        f"With the preset's instructions your prompt is {length:,} characters, but {model} takes "
        f"at most {limit:,}. Shorten your text and try again."
    )


def option_unknown(token: str) -> str:
    """Shown for an option that does not exist."""
    return (
        f"I don't know the option `{token.split('=')[0]}`. The options are `--n`, `--size`, "
        "`--quality` and `--background`; put `--` before a prompt that starts with dashes."
    )


def option_needs_value(name: str) -> str:
    """Shown when an option is last or followed by another option."""
    return f"`--{name}` needs a value, e.g. `--{name} {_EXAMPLES[name]}`."


def option_repeated(name: str) -> str:
    """Shown when an option is given twice."""
    return f"`--{name}` is given twice; keep one."


_EXAMPLES = {"n": "2", "size": "landscape", "quality": "high", "background": "transparent"}


def n_invalid(value: str, max_images: int) -> str:
    """Shown when ``--n`` is not a whole number in range."""
    return f"`--n` must be a whole number from 1 to {max_images}; you wrote `{value[:20]}`."


def size_unknown(value: str, caps: ModelCapabilities) -> str:
    """Shown for a size that is not a size at all."""
    return f"`{value[:40]}` is not a size. {_sizes_sentence(caps)}"


def size_name_unsupported(name: str, caps: ModelCapabilities) -> str:
    """Shown when a named size has no match for the model (dall-e-2 has only squares)."""
    return f"{caps.name} has no {name} size. {_sizes_sentence(caps)}"


def size_unsupported(size: str, caps: ModelCapabilities) -> str:
    """Shown for a ``WxH`` the model does not take."""
    return f"{caps.name} cannot make {size} images. {_sizes_sentence(caps)}"


def size_rule_broken(size: str, rule: str, caps: ModelCapabilities) -> str:
    """Shown for a custom gpt-image-2 size that breaks one of its rules."""
    return f"{size} does not work: for {caps.name}, {rule}. {_sizes_sentence(caps)}"


def _sizes_sentence(caps: ModelCapabilities) -> str:
    names = [n for n in ("square", "landscape", "portrait") if n in caps.named_sizes]
    fixed = [s for s in caps.sizes]
    text = f"Use {join_quoted(names + fixed)}"
    if caps.custom_sizes:
        text += ", or any `WIDTHxHEIGHT` with sides divisible by 16, up to 3840x2160"
    return text + "."


def quality_unsupported(value: str, caps: ModelCapabilities) -> str:
    """Shown for a quality the model does not take."""
    return f"{caps.name} does not offer quality `{value[:20]}`. Use {join_quoted(caps.qualities)}."


def background_unknown(value: str) -> str:
    """Shown for a background that does not exist."""
    return (
        f"`{value[:20]}` is not a background. Use {join_quoted(('transparent', 'opaque', 'auto'))}."
    )


def background_unsupported(caps: ModelCapabilities) -> str:
    """Shown when the model has no background option (DALL·E)."""
    return f"{caps.name} cannot set a background; leave `--background` out."


__all__ = [
    "PROMPT_EMPTY",
    "background_unknown",
    "background_unsupported",
    "framed_prompt_too_long",
    "n_invalid",
    "option_needs_value",
    "option_repeated",
    "option_unknown",
    "prompt_too_long",
    "quality_unsupported",
    "size_name_unsupported",
    "size_rule_broken",
    "size_unknown",
    "size_unsupported",
    "usage",
]
