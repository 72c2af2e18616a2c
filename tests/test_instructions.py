"""Refine instructions as people type them (issue #8): ``#k`` names image k, followed by a
space or punctuation; anything else is the instruction."""

from __future__ import annotations

import pytest

from bot import messages
from bot.edits import parse_instruction
from bot.errors import UserInputError


@pytest.mark.parametrize(
    ("text", "number", "named", "instruction"),
    [
        ("#2 make it green", 2, True, "make it green"),
        ("#2: make it green", 2, True, "make it green"),
        ("#2:make it green", 2, True, "make it green"),
        ("#2, make it green", 2, True, "make it green"),
        ("#2 - make it green", 2, True, "make it green"),
        ("#2. make it green", 2, True, "make it green"),
        ("<@UBOT> #3 add a moon", 3, True, "add a moon"),
        ("#2 — make it green", 2, True, "make it green"),
        ("make it green", 1, False, "make it green"),
        ("#2.5 stars on the flag", 1, False, "#2.5 stars on the flag"),
        ("#23x the logo", 1, False, "#23x the logo"),
    ],
)
def test_hash_k_names_an_image_before_a_space_or_punctuation(
    text: str, number: int, named: bool, instruction: str
) -> None:
    parsed = parse_instruction(text, max_images=5, prompt_max_chars=1000, drop_user_ids=("UBOT",))
    assert (parsed.number, parsed.named, parsed.text) == (number, named, instruction)


@pytest.mark.parametrize("text", ["#2", "#2:", "<@UBOT> #2 -"])
def test_an_image_number_alone_asks_for_an_instruction(text: str) -> None:
    with pytest.raises(UserInputError) as info:
        parse_instruction(text, max_images=5, prompt_max_chars=1000, drop_user_ids=("UBOT",))
    assert info.value.text == messages.EDIT_EMPTY


@pytest.mark.parametrize(
    "text", ["#2 --size landscape make it green", "#2: --size landscape make it green"]
)
def test_options_after_an_image_number_are_options(text: str) -> None:
    parsed = parse_instruction(text, max_images=5, prompt_max_chars=1000)
    assert (parsed.number, parsed.text, parsed.options.size) == (2, "make it green", "landscape")
