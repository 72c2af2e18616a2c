"""Every failure kind has its own message for the user; captions escape and attribute."""

from __future__ import annotations

import pytest

from bot import errors, messages


def _leaf_classes(base: type) -> list[type]:
    subclasses = base.__subclasses__()
    return [base] if not subclasses else [leaf for sub in subclasses for leaf in _leaf_classes(sub)]


@pytest.mark.parametrize("kind", _leaf_classes(errors.OpenAIError), ids=lambda k: k.__name__)
def test_every_openai_failure_kind_has_a_specific_message(kind: type) -> None:
    text = messages.for_error(kind("boom", status=400))
    assert text != messages.UNEXPECTED
    if kind is errors.NoImageError:  # the model's answer to the prompt, quoted on purpose
        assert "“boom”" in text
    else:
        assert "boom" not in text  # OpenAI's own wording and details stay in the logs


def test_delivery_messages() -> None:
    private = errors.ChannelUnreachableError("channel_not_found", channel_id="G1")
    assert "/invite @Imagine" in messages.for_error(private)
    archived = errors.ChannelUnreachableError("is_archived", channel_id="C1")
    assert "archived" in messages.for_error(archived)
    assert "`ratelimited`" in messages.for_error(
        errors.DeliveryError("ratelimited", channel_id="C1")
    )


def test_caption_escapes_and_lists_distinct_revised_prompts() -> None:
    assert messages.caption("U1", ["cats & <dogs>"]) == "<@U1> imagined: cats &amp; &lt;dogs&gt;"
    assert messages.caption("U1", ["a", "a"]) == "<@U1> imagined: a"
    assert messages.caption("U2", ["a", "b"], regenerated=True) == "<@U2> regenerated:\n1. a\n2. b"
