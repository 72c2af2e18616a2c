"""/imagine end to end in-process: signed requests through the real app, FakeSlack, respx OpenAI."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.conftest import PNG_BYTES, revised
from tests.harness import sign


async def test_imagine_acks_then_posts_images_with_revised_prompt(
    start_imagine, openai_mock
) -> None:
    async with start_imagine() as imagine:
        answer = await imagine.command("--n 2 a flying car over the sea")
        assert answer.status == 200
        assert answer.body["text"].endswith("Generating 2 images…")
        assert answer.body.get("response_type", "ephemeral") == "ephemeral"

        await imagine.slack.wait_for(lambda: imagine.slack.calls_to("chat.postMessage"))
        [message] = [m for m in imagine.slack.messages if m.files]
        assert message.channel == "C1" and message.thread_ts is None
        assert message.text == f"<@U1> imagined: {revised('a flying car over the sea')}"
        assert len(message.files) == 2  # one message for n images
        for index, file in enumerate(message.files, 1):
            assert file["filename"] == f"imagine-a-flying-car-over-the-sea-{index}.png"
            assert file["alt_txt"] == revised("a flying car over the sea")
            assert file["title"]
        assert len(imagine.slack.calls_to("files.completeUploadExternal")) == 1
        assert openai_mock["responses"].call_count == 2
        body = json.loads(openai_mock["responses"].calls[0].request.content)
        assert "U1" not in json.dumps(body) and "T1" not in json.dumps(body)


async def test_uploaded_bytes_are_the_generated_image(start_imagine) -> None:
    async with start_imagine() as imagine:
        await imagine.command("a fox")
        await imagine.slack.wait_for(lambda: any(m.files for m in imagine.slack.messages))
        [message] = [m for m in imagine.slack.messages if m.files]
        assert message.files[0]["length"] == len(PNG_BYTES)


async def test_validation_errors_are_acked_and_nothing_is_generated(
    start_imagine, openai_mock
) -> None:
    async with start_imagine() as imagine:
        too_long = await imagine.command("x" * 1234)
        assert too_long.body["text"].startswith(
            "Your prompt is 1,234 characters; the limit is 1,000."
        )
        unknown = await imagine.command("--style vivid a fox")
        assert "I don't know the option `--style`" in unknown.body["text"]
        bad_quality = await imagine.command("--quality hd a fox")
        assert "gpt-image-2 does not offer quality `hd`" in bad_quality.body["text"]
        assert openai_mock["responses"].call_count == 0


async def test_help_answers_with_usage(start_imagine) -> None:
    async with start_imagine() as imagine:
        answer = await imagine.command("help")
        assert "`/imagine [options] <prompt>`" in answer.body["text"]
        assert "1 to 5" in answer.body["text"]


async def test_public_channel_without_the_bot_is_joined(start_imagine) -> None:
    async with start_imagine(channels={"C2": "public"}) as imagine:
        await imagine.command("a fox", channel="C2")
        await imagine.slack.wait_for(lambda: any(m.files for m in imagine.slack.messages))
        assert [c.params["channel"] for c in imagine.slack.calls_to("conversations.join")] == ["C2"]
        assert [m.channel for m in imagine.slack.messages if m.files] == ["C2"]


async def test_private_channel_without_the_bot_tells_the_user_to_invite(start_imagine) -> None:
    async with start_imagine(channels={"G1": "private"}) as imagine:
        await imagine.command("a fox", channel="G1")
        await imagine.slack.wait_for(lambda: imagine.slack.responses)
        [response] = imagine.slack.responses
        assert "/invite @Imagine" in response["text"]
        assert response.get("response_type") == "ephemeral"
        assert not any(m.files for m in imagine.slack.messages)


def openai_error(status: int, code: str, type_: str) -> httpx.Response:
    """An OpenAI error answer."""
    body = {"error": {"message": code, "type": type_, "param": None, "code": code}}
    return httpx.Response(status, json=body, headers={"x-request-id": "req_err"})


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            openai_error(400, "moderation_blocked", "image_generation_user_error"),
            "safety system refused",
        ),
        (
            openai_error(429, "insufficient_quota", "insufficient_quota"),
            "quota or credit is used up",
        ),
        (openai_error(401, "invalid_api_key", "invalid_request_error"), "misconfigured"),
        (openai_error(404, "model_not_found", "invalid_request_error"), "image model"),
    ],
)
async def test_openai_refusals_reach_the_user_and_are_not_retried(
    start_imagine, openai_mock, answer, message
) -> None:
    openai_mock["responses"].mock(side_effect=None, return_value=answer)
    async with start_imagine() as imagine:
        await imagine.command("a fox")
        await imagine.slack.wait_for(lambda: imagine.slack.responses)
        assert message in imagine.slack.responses[0]["text"]
        assert openai_mock["responses"].call_count == 1


async def test_k_of_n_failures_post_the_rest_and_say_so(start_imagine, openai_mock) -> None:
    from tests.conftest import responses_answer

    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 2:
            return httpx.Response(
                400,
                json={
                    "error": {
                        "message": "no",
                        "type": "image_generation_user_error",
                        "param": None,
                        "code": "moderation_blocked",
                    }
                },
            )
        return responses_answer(request)

    openai_mock["responses"].mock(side_effect=flaky)
    async with start_imagine() as imagine:
        await imagine.command("--n 3 a fox")
        await imagine.slack.wait_for(lambda: imagine.slack.responses)
        [message] = [m for m in imagine.slack.messages if m.files]
        assert len(message.files) == 2
        assert "1 of 3 images could not be generated" in imagine.slack.responses[0]["text"]


async def test_regenerate_button_follows_the_images(start_imagine) -> None:
    async with start_imagine() as imagine:
        await imagine.command("a fox")
        await imagine.slack.wait_for(lambda: any(m.blocks for m in imagine.slack.messages))
        [button_message] = [m for m in imagine.slack.messages if m.blocks]
        blocks = (
            button_message.blocks
            if isinstance(button_message.blocks, list)
            else json.loads(button_message.blocks)
        )
        [button, edit, variations] = [
            e for b in blocks if b["type"] == "actions" for e in b["elements"]
        ]
        assert button["action_id"] == "imagine_regenerate" and len(button["value"]) <= 32
        # one image: Edit… and Variations buttons with short keys (issue #8)
        assert (edit["action_id"], variations["action_id"]) == (
            "imagine_edit",
            "imagine_variations",
        )
        assert edit["value"] == variations["value"] and len(edit["value"]) <= 32


async def test_bad_signature_and_stale_timestamp_get_401(start_imagine) -> None:
    body = "command=%2Fimagine&text=a+fox&team_id=T1&channel_id=C1&user_id=U1"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    async with start_imagine() as imagine:
        for headers in (
            {**form, **sign(body, secret="wrong")},  # forged
            {**form, **sign(body, timestamp=1_000_000)},  # older than 5 minutes
            form,  # unsigned
        ):
            response = await imagine.http.post("/slack/events", data=body, headers=headers)
            assert response.status == 401
        assert (await imagine.command("help")).status == 200  # a signed one passes


async def test_malformed_command_payload_gets_a_polite_answer(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        answer = await imagine.post(
            "command=%2Fimagine&text=a+fox", "application/x-www-form-urlencoded"
        )
        assert 200 <= answer.status < 500
        assert openai_mock["responses"].call_count == 0


async def test_healthz(start_imagine) -> None:
    async with start_imagine() as imagine:
        response = await imagine.http.get("/healthz")
        assert response.status == 200
        await imagine.services.jobs.shutdown(0)
        assert (await imagine.http.get("/healthz")).status == 503


async def test_a_burst_of_commands_checks_the_token_once(start_imagine) -> None:
    async with start_imagine(max_concurrent_jobs=50) as imagine:
        answers = await asyncio.gather(
            *(imagine.command(f"fox number {i}", user=f"U{i}") for i in range(20))
        )
        assert all(a.status == 200 and "Generating" in a.body["text"] for a in answers)
        assert len(imagine.slack.calls_to("auth.test")) == 1
