"""The ``/imagine`` grammar: ``/imagine [options] <prompt>``.

Options come first: ``--n N``, ``--size S``, ``--quality Q``, ``--background B``, also written
``--opt=value``; ``--`` ends the options. An em or en dash in place of ``--`` is accepted, because
Slack clients with smart punctuation turn ``--`` into ``—``. ``help`` (or nothing) asks for usage;
``usage`` asks for the user's usage summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bot import messages
from bot.errors import UserInputError
from bot.slack_text import drop_mentions, slack_to_plain

OPTION_NAMES = ("n", "size", "quality", "background")
_TOKEN = re.compile(r"\S+")
_DASHES = ("--", "—", "–")


@dataclass(frozen=True)
class RawOptions:
    """Options as the user typed them, not yet checked against the model (``None`` = not given)."""

    n: int | None = None
    size: str | None = None
    quality: str | None = None
    background: str | None = None


@dataclass(frozen=True)
class ParsedCommand:
    """A parsed ``/imagine`` text: ``kind`` is ``help``, ``usage`` or ``generate``; for
    ``generate``, ``prompt`` is the plain prompt (Slack escapes undone) and ``options`` the
    options given."""

    kind: Literal["help", "usage", "generate"]
    prompt: str = ""
    options: RawOptions = field(default_factory=RawOptions)


def _option_name(token: str) -> str | None:
    for dash in _DASHES:
        if token.startswith(dash) and len(token) > len(dash) and token[len(dash)] != "-":
            return token[len(dash) :]
    return None


def parse_command_text(
    text: str, *, max_images: int, drop_user_ids: tuple[str, ...] = ()
) -> ParsedCommand:
    """Parse the text of ``/imagine`` (or of an app mention) into a :class:`ParsedCommand`.

    ``text`` is Slack's escaped text. Raises :class:`UserInputError` for an unknown option, a
    missing value, or an ``--n`` outside ``1..max_images``; model-specific checks happen later
    in :func:`bot.request.build_request`.
    """
    text = drop_mentions(text, drop_user_ids)
    values: dict[str, str] = {}
    prompt_start = len(text)
    tokens = list(_TOKEN.finditer(text))
    index = 0
    while index < len(tokens):
        token = tokens[index].group()
        if not values and token.lower() in ("--help", "-h") and len(tokens) == 1:
            return ParsedCommand(kind="help")
        if token in _DASHES:
            prompt_start = tokens[index + 1].start() if index + 1 < len(tokens) else len(text)
            break
        name = _option_name(token)
        if name is None:
            prompt_start = tokens[index].start()
            break
        name, has_value, value = name.partition("=")
        name = name.lower()
        if name not in OPTION_NAMES:
            raise UserInputError(messages.option_unknown(token), field=None)
        if not has_value:
            if index + 1 >= len(tokens) or _option_name(tokens[index + 1].group()) is not None:
                raise UserInputError(messages.option_needs_value(name), field=name)
            index += 1
            value = tokens[index].group()
        if name in values:
            raise UserInputError(messages.option_repeated(name), field=name)
        values[name] = value
        index += 1

    prompt = slack_to_plain(text[prompt_start:])
    if not values and prompt.lower() in ("", "help", "?"):
        return ParsedCommand(kind="help")
    if not values and prompt.lower() == "usage":
        return ParsedCommand(kind="usage")
    return ParsedCommand(
        kind="generate",
        prompt=prompt,
        options=RawOptions(
            n=parse_n(values["n"], max_images) if "n" in values else None,
            size=values.get("size"),
            quality=values.get("quality"),
            background=values.get("background"),
        ),
    )


def parse_n(value: str, max_images: int) -> int:
    """Parse the number of images.

    Raises :class:`UserInputError` unless ``value`` is a whole number with
    ``1 <= n <= max_images``."""
    text = value.strip()
    if not re.fullmatch(r"[0-9]{1,4}", text) or not 1 <= int(text) <= max_images:
        raise UserInputError(messages.n_invalid(value, max_images), field="n")
    return int(text)
