"""The /imagine grammar, prompt clean-up, and every validation message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bot.capabilities import capabilities_for, resolve_size
from bot.command import RawOptions, parse_command_text
from bot.errors import UserInputError
from bot.request import build_request
from bot.slack_text import escape_mrkdwn, slack_to_plain


def parse(text: str, max_images: int = 5):
    return parse_command_text(text, max_images=max_images)


@pytest.mark.parametrize(
    ("text", "prompt", "options"),
    [
        ("a flying car over the sea", "a flying car over the sea", RawOptions()),
        ("--n 2 a fox", "a fox", RawOptions(n=2)),
        ("--n=3 --size=landscape a fox", "a fox", RawOptions(n=3, size="landscape")),
        (
            "--quality high --background transparent --size 1536x864 logo",
            "logo",
            RawOptions(size="1536x864", quality="high", background="transparent"),
        ),
        ("-- --n is part of the prompt", "--n is part of the prompt", RawOptions()),
        ("—n 2 smart dashes", "smart dashes", RawOptions(n=2)),
        ("a fox --n 2", "a fox --n 2", RawOptions()),  # options come first only
        ("--N 2 caps", "caps", RawOptions(n=2)),
    ],
)
def test_parses_options_then_prompt(text: str, prompt: str, options: RawOptions) -> None:
    parsed = parse(text)
    assert parsed.kind == "generate"
    assert (parsed.prompt, parsed.options) == (prompt, options)


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", "--help"])
def test_help_and_empty(text: str) -> None:
    assert parse(text).kind == "help"


def test_usage_keyword() -> None:
    assert parse("usage").kind == "usage"
    assert parse("usage of colour in art").kind == "generate"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("--colour red a fox", "I don't know the option `--colour`"),
        ("--n", "`--n` needs a value"),
        ("--n --size square a fox", "`--n` needs a value"),
        ("--n 0 a fox", "`--n` must be a whole number from 1 to 5; you wrote `0`."),
        ("--n 6 a fox", "from 1 to 5; you wrote `6`"),
        ("--n two a fox", "you wrote `two`"),
        ("--n ² a fox", "you wrote `²`"),
        ("--n 1 --n 2 a fox", "`--n` is given twice"),
    ],
)
def test_grammar_errors_say_what_to_change(text: str, message: str) -> None:
    with pytest.raises(UserInputError) as info:
        parse(text)
    assert message in info.value.text


def test_slack_escapes_and_mentions_become_plain_text() -> None:
    text = "cats &amp; dogs &lt;3 with <@U123|alice> in <#C42|general> <!here> <https://x.io|site>"
    assert slack_to_plain(text) == "cats & dogs <3 with @alice in #general @here site"
    assert slack_to_plain("hi <@U999> there") == "hi someone there"  # no Slack id to OpenAI
    assert (
        parse_command_text("<@UBOT> --n 2 a fox", max_images=5, drop_user_ids=("UBOT",)).prompt
        == "a fox"
    )
    assert slack_to_plain("a\x00b\x1bc\nd") == "abc\nd"
    assert escape_mrkdwn("a <b> & c") == "a &lt;b&gt; &amp; c"


def test_prompt_length_counts_unescaped_characters(make_settings) -> None:
    settings = make_settings()
    text = "&amp;" * 1000  # 5000 escaped characters, 1000 real ones
    parsed = parse(text)
    assert len(build_request(parsed.prompt, parsed.options, settings).user_prompt) == 1000
    with pytest.raises(UserInputError) as info:
        build_request("x" * 1234, RawOptions(), settings)
    assert info.value.text.startswith("Your prompt is 1,234 characters; the limit is 1,000.")
    assert info.value.field == "prompt"


def test_defaults_and_model_checks(make_settings) -> None:
    settings = make_settings()
    request = build_request("a fox", RawOptions(), settings)
    assert (request.n, request.size, request.quality, request.background) == (
        1,
        "auto",
        "auto",
        None,
    )
    assert request.prompt == "a fox"
    request = build_request("a fox", RawOptions(n=5, size="Portrait", quality="LOW"), settings)
    assert (request.n, request.size, request.quality) == (5, "1024x1536", "low")


@pytest.mark.parametrize(
    ("model", "options", "message"),
    [
        ("gpt-image-2", RawOptions(size="1000x1000"), "multiples of 16"),
        ("gpt-image-2", RawOptions(size="4096x1024"), "between 1:3 and 3:1"),
        ("gpt-image-2", RawOptions(size="3840x2400"), "largest size is 3840x2160"),
        ("gpt-image-2", RawOptions(size="big"), "`big` is not a size"),
        ("gpt-image-1", RawOptions(size="1536x864"), "gpt-image-1 cannot make 1536x864 images"),
        ("gpt-image-2", RawOptions(quality="hd"), "does not offer quality `hd`"),
        ("gpt-image-2", RawOptions(quality="ultra"), "Use `low`, `medium`, `high` or `auto`"),
        ("gpt-image-2", RawOptions(background="green"), "`green` is not a background"),
        ("dall-e-3", RawOptions(background="transparent"), "dall-e-3 cannot set a background"),
        ("dall-e-2", RawOptions(size="landscape"), "dall-e-2 has no landscape size"),
        ("dall-e-3", RawOptions(quality="low"), "Use `standard` or `hd`"),
    ],
)
def test_options_the_model_cannot_take(make_settings, model, options, message) -> None:
    settings = make_settings(image_model=model, image_api="images")
    with pytest.raises(UserInputError) as info:
        build_request("a fox", options, settings)
    assert message in info.value.text


def test_dall_e_maps_auto_to_its_own_defaults(make_settings) -> None:
    settings = make_settings(image_model="dall-e-3", image_api="images")
    request = build_request("a fox", RawOptions(), settings)
    assert (request.size, request.quality) == ("1024x1024", "standard")


def test_presets_frame_the_users_words(make_settings) -> None:
    settings = make_settings(brand_guide="Navy #1B2A4A, flat vector style")
    slide = build_request("Q3 {revenue} growth", RawOptions(), settings, preset="slide")
    assert slide.size == "1536x864"  # 16:9 on gpt-image-2
    assert "Q3 {revenue} growth" in slide.prompt and "presentation-ready" in slide.prompt
    assert "no text" in slide.prompt.lower() or "not draw any text" in slide.prompt
    brand = build_request("launch banner", RawOptions(), settings, preset="brand")
    assert brand.size == "1024x1024"
    assert "Navy #1B2A4A, flat vector style" in brand.prompt and "launch banner" in brand.prompt
    assert brand.user_prompt == "launch banner"
    custom = make_settings(slide_frame="Flat icon style. {prompt}")
    assert build_request("a rocket", RawOptions(), custom, preset="slide").prompt == (
        "Flat icon style. a rocket"
    )
    older = make_settings(image_model="gpt-image-1")
    assert build_request("x", RawOptions(), older, preset="slide").size == "1536x1024"


def test_resolve_size_named_and_auto() -> None:
    caps = capabilities_for("gpt-image-2")
    assert resolve_size("landscape", caps) == "1536x1024"
    assert resolve_size("1920x1088", caps) == "1920x1088"
    assert resolve_size("AUTO", caps) == "auto"
    assert capabilities_for("gpt-image-2-2026-04-21").custom_sizes
    assert capabilities_for("my-gateway-model").gpt_image


@hsettings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_gives_a_specific_message(text: str) -> None:
    try:
        parsed = parse(text)
    except UserInputError as exc:
        assert exc.text and "`" in exc.text
        return
    assert parsed.kind in ("help", "usage", "generate")
    if parsed.kind == "generate":
        assert parsed.prompt == parsed.prompt.strip()


@hsettings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "--n",
                "--size",
                "--quality",
                "--background",
                "--",
                "—n",
                "2",
                "x",
                "auto",
                "square",
                "high",
                "transparent",
                "0",
                "9",
                "1536x864",
                "&amp;",
                "<@U1|a>",
            ]
        ),
        max_size=8,
    ),
    st.text(max_size=50),
)
def test_option_soup_never_raises_anything_else(tokens: list[str], tail: str) -> None:
    from bot.settings import Settings

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, slack_bot_token="xoxb-1", slack_signing_secret="s", openai_api_key="sk-x"
    )
    text = " ".join(tokens) + " " + tail
    try:
        parsed = parse(text)
        if parsed.kind == "generate":
            request = build_request(parsed.prompt, parsed.options, settings)
            assert 1 <= request.n <= 5 and len(request.user_prompt) <= 1000
    except UserInputError as exc:
        assert exc.text


@hsettings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=20),
            st.sampled_from(["<@U123>", "<@U9|bob>", "<#C1|general>", "<!here>", "&amp;", "&lt;"]),
            st.sampled_from(
                ["<https://x.io|x>", "<mailto:a@b.c|a>", "<!subteam^S1|@team>", "\x00"]
            ),
        ),
        max_size=12,
    ).map("".join)
)
def test_prompt_clean_up_never_raises_and_leaves_no_ids_or_controls(text: str) -> None:
    plain = slack_to_plain(text)
    assert plain == plain.strip()
    assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in plain)
    if "U123" not in text.replace("<@U123>", ""):
        assert "U123" not in plain  # a bare user mention never reaches OpenAI as an id
