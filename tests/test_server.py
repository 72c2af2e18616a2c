"""Bad bodies on /slack/events: always 4xx (or a polite 200), never 5xx, and the app keeps serving."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests.harness import sign

FORM = "application/x-www-form-urlencoded"


async def send(imagine, body: bytes | str, content_type: str = FORM, signed: bool = True):
    raw = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": content_type}
    if signed:
        headers.update(
            sign(raw.decode("utf-8", "replace")) if isinstance(body, bytes) else sign(body)
        )
    response = await imagine.http.post("/slack/events", data=raw, headers=headers)
    return response.status, await response.text()


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (urlencode({"payload": "{not json"}), FORM, 400),
        (urlencode({"payload": "[1, 2]"}), FORM, 400),
        (urlencode({"payload": json.dumps({"type": "view_submission"})}), FORM, 404),
        (urlencode({"payload": json.dumps({"type": "block_actions"})}), FORM, 404),
        (
            urlencode(
                {"payload": json.dumps({"type": "message_action", "callback_id": "imagine_slide"})}
            ),
            FORM,
            200,
        ),
        (urlencode({"payload": json.dumps({"type": "no_such_type"})}), FORM, 404),
        ("{not json", "application/json", 400),
        ("[]", "application/json", 400),
        ("", FORM, 404),
        (
            json.dumps(
                {"type": "event_callback", "event": {"type": "reaction_added"}, "event_id": "Ev1"}
            ),
            "application/json",
            200,
        ),
        (
            json.dumps(
                {"type": "event_callback", "event": {"type": "app_mention"}, "event_id": "Ev2"}
            ),
            "application/json",
            200,
        ),
        (json.dumps({"type": "event_callback"}), "application/json", 200),
        ("command=%2Fimagine&text=%00%01%02%1b", FORM, 200),
    ],
)
async def test_malformed_bodies_never_5xx(start_imagine, body, content_type, expected) -> None:
    async with start_imagine() as imagine:
        status, _ = await send(imagine, body, content_type)
        assert status == expected
        assert (await imagine.command("help")).status == 200  # still serving


async def test_url_verification_challenge(start_imagine) -> None:
    async with start_imagine() as imagine:
        status, text = await send(
            imagine,
            json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"}),
            "application/json",
        )
        assert status == 200 and "abc123" in text


async def test_invalid_utf8_is_400(start_imagine) -> None:
    async with start_imagine() as imagine:
        raw = b"command=%2Fimagine&text=\xff\xfe"
        response = await imagine.http.post(
            "/slack/events", data=raw, headers={"Content-Type": FORM, **sign("x")}
        )
        assert response.status == 400


async def test_huge_body_is_413_before_parsing(start_imagine) -> None:
    async with start_imagine(max_body_bytes=4096) as imagine:
        body = "text=" + "a" * 10_000
        status, _ = await send(imagine, body)
        assert status == 413
        assert (await imagine.command("help")).status == 200


async def test_control_characters_in_prompt_are_dropped(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        answer = await imagine.command("a\x07 fox\x1b in snow")
        assert answer.status == 200 and "Generating" in answer.body["text"]
        await imagine.slack.wait_for(lambda: openai_mock["responses"].call_count == 1)
        assert (
            json.loads(openai_mock["responses"].calls[0].request.content)["input"]
            == "a fox in snow"
        )
