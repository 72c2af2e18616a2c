"""The rules the fake Slack checks arguments against, shared by its modules: Slack's error
answer (:class:`SlackError`), JSON arguments that arrive as strings, Block Kit limits.

Limits: Block Kit reference (50 blocks in a message, 100 in a view, button ``value`` 2000
characters, option text 75 and value 150, ``private_metadata`` 3000), ``chat.postMessage``
(``text`` 40,000 characters), ``files.getUploadURLExternal`` (``alt_txt`` 1000).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from tests.fakes.slack_users import element_problems

TS_PATTERN = re.compile(r"^\d{10}\.\d{6}$")
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
TEXT_MAX = 40_000
ALT_TXT_MAX = 1000


class SlackError(Exception):
    """Raised by a method handler: answer ``{"ok": false, "error": error}``."""

    def __init__(self, error: str, *messages: str) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)


def missing(name: str) -> SlackError:
    return SlackError("invalid_arguments", f"[ERROR] missing required field: {name}")


def too_long(limit: int, pointer: str) -> str:
    return f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}]"


def block_problems(value: Any, pointer: str) -> Iterator[str]:
    """Slack-style messages for Block Kit limits broken anywhere inside ``value``."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from block_problems(item, f"{pointer}/{index}")
        return
    if not isinstance(value, dict):
        return
    kind = value.get("type")
    yield from element_problems(value, pointer)
    if kind == "button" and len(str(value.get("value", ""))) > 2000:
        yield too_long(2000, f"{pointer}/value")
    if kind in ("static_select", "multi_static_select") and len(value.get("options", [])) > 100:
        yield f"[ERROR] must provide at most 100 items [json-pointer:{pointer}/options]"
    if kind == "plain_text_input" and int(value.get("max_length", 0)) > 3000:
        yield f"[ERROR] must be at most 3000 [json-pointer:{pointer}/max_length]"
    if kind is None and "value" in value and isinstance(value.get("text"), dict):  # an option
        if len(value["text"].get("text", "")) > 75:
            yield too_long(75, f"{pointer}/text/text")
        if len(str(value["value"])) > 150:
            yield too_long(150, f"{pointer}/value")
    for key, item in value.items():
        yield from block_problems(item, f"{pointer}/{key}")


def check_blocks(blocks: Any, limit: int, pointer: str) -> list[str]:
    """Problems with a ``blocks`` array: its shape, its length and the limits inside."""
    if not isinstance(blocks, list) or not all(
        isinstance(b, dict) and b.get("type") for b in blocks
    ):
        return [f"[ERROR] blocks must be an array of objects with a type [json-pointer:{pointer}]"]
    problems = list(block_problems(blocks, pointer))
    if len(blocks) > limit:
        problems.insert(0, f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]")
    return problems


def decode(value: Any, name: str) -> Any:
    """A JSON argument that may arrive as a JSON string (form and query values always do)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise SlackError("invalid_arguments", f"[ERROR] {name} is not valid JSON") from None
