"""The fakes behave like the services they stand for, seen from the real clients."""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes import FakeOpenAI, FakeSlack, make_png, png_base64, png_chunks, png_size
from tests.openapi import schema_errors

TOKEN = "xoxb-test"
KEY = "sk-test"
IMAGE_TOOL = {
    "type": "image_generation",
    "model": "gpt-image-2",
    "size": "1536x1024",
    "quality": "low",
}


def client(slack: FakeSlack, token: str = TOKEN) -> AsyncWebClient:
    return AsyncWebClient(base_url=slack.base_url, token=token)


# --- FakeSlack ----------------------------------------------------------------------------------


async def test_files_upload_v2_round_trip_two_files_in_one_message() -> None:
    first, second = make_png(64, 64), make_png(32, 48)
    async with FakeSlack(bot_token=TOKEN) as slack:
        answer = await client(slack).files_upload_v2(
            file_uploads=[
                {"content": first, "filename": "a.png", "title": "A", "alt_txt": "a fox"},
                {"content": second, "filename": "b.png", "title": "B"},
            ],
            channel="C1",
            initial_comment="two foxes",
            thread_ts="1700000000.000100",
        )
        assert [f["name"] for f in answer["files"]] == ["a.png", "b.png"]
        assert len(slack.calls_to("files.getUploadURLExternal")) == 2
        [message] = slack.messages
        assert (message.channel, message.thread_ts, message.text) == (
            "C1",
            "1700000000.000100",
            "two foxes",
        )
        assert [(f["filename"], f["title"], f["alt_txt"]) for f in message.files] == [
            ("a.png", "A", "a fox"),
            ("b.png", "B", None),
        ]
        assert [f["bytes"] for f in message.files] == [first, second]
        assert message.files[0]["length"] == len(first)


async def test_upload_must_match_the_announced_length_and_alt_txt_is_capped() -> None:
    async with FakeSlack(bot_token=TOKEN) as slack:
        web = client(slack)
        with pytest.raises(SlackApiError) as too_long:
            await web.files_getUploadURLExternal(filename="a.png", length=10, alt_txt="x" * 1001)
        assert too_long.value.response["error"] == "invalid_arguments"
        slot = await web.files_getUploadURLExternal(filename="a.png", length=10)
        async with httpx.AsyncClient() as http:
            assert (await http.post(slot["upload_url"], content=b"12345")).text == "OK - 5"
        with pytest.raises(SlackApiError) as mismatch:
            await web.files_completeUploadExternal(files=[{"id": slot["file_id"]}], channel_id="C1")
        assert mismatch.value.response["error"] == "file_upload_size_mismatch"
        with pytest.raises(SlackApiError) as unknown:
            await web.files_completeUploadExternal(files=[{"id": "F404"}], channel_id="C1")
        assert unknown.value.response["error"] == "file_not_found"
        assert not slack.messages


async def test_public_channel_needs_a_join_and_private_one_is_invisible() -> None:
    async with FakeSlack(
        bot_token=TOKEN, channels={"C2": "public", "G1": "private", "C3": "archived"}
    ) as slack:
        web = client(slack)
        with pytest.raises(SlackApiError) as refused:
            await web.files_upload_v2(content=b"png", filename="a.png", channel="C2")
        assert refused.value.response["error"] == "not_in_channel"
        await web.conversations_join(channel="C2")
        await web.files_upload_v2(content=b"png", filename="a.png", channel="C2")
        assert [m.channel for m in slack.messages] == ["C2"]

        for channel, error in (("G1", "channel_not_found"), ("C3", "is_archived")):
            with pytest.raises(SlackApiError) as exc:
                await web.conversations_join(channel=channel)
            assert exc.value.response["error"] == error
        with pytest.raises(SlackApiError) as hidden:
            await web.chat_postMessage(channel="G1", text="hi")
        assert hidden.value.response["error"] == "channel_not_found"


async def test_rate_limit_fault_reaches_the_client_with_retry_after() -> None:
    async with FakeSlack(bot_token=TOKEN) as slack:
        slack.fail_next("chat.postMessage", status=429, retry_after=7)
        with pytest.raises(SlackApiError) as exc:
            await client(slack).chat_postMessage(channel="C1", text="hi")
        assert exc.value.response.status_code == 429
        assert exc.value.response["error"] == "ratelimited"
        assert exc.value.response.headers["retry-after"] in ("7", ["7"])
        await client(slack).chat_postMessage(channel="C1", text="hi")  # the fault was used up
        assert [m.text for m in slack.messages] == ["hi"]
        assert len(slack.calls_to("chat.postMessage")) == 2


async def test_auth_strict_arguments_and_unknown_methods() -> None:
    async with FakeSlack(bot_token=TOKEN) as slack:
        assert (await client(slack).auth_test())["user_id"] == "UBOT"
        with pytest.raises(SlackApiError) as bad_token:
            await client(slack, "xoxb-wrong").auth_test()
        assert bad_token.value.response["error"] == "invalid_auth"
        with pytest.raises(SlackApiError) as missing:
            await client(slack).api_call("reactions.add", json={"channel": "C1", "name": "fox"})
        assert missing.value.response["error"] == "invalid_arguments"
        with pytest.raises(SlackApiError) as no_text:
            await client(slack).api_call("chat.postMessage", json={"channel": "C1"})
        assert no_text.value.response["error"] == "no_text"
        with pytest.raises(SlackApiError) as unknown:
            await client(slack).api_call("files.upload")
        assert unknown.value.response["error"] == "unknown_method"


async def test_messages_ephemerals_reactions_and_views_are_recorded() -> None:
    async with FakeSlack(bot_token=TOKEN) as slack:
        web = client(slack)
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
        posted = await web.chat_postMessage(
            channel="C1", text="hi", blocks=blocks, thread_ts="1700000000.000001"
        )
        assert slack.messages[0].blocks == blocks and slack.messages[0].ts == posted["ts"]
        await web.chat_update(channel="C1", ts=posted["ts"], text="edited")
        assert slack.messages[0].text == "edited"

        await web.chat_postEphemeral(channel="C1", user="U1", text="psst")
        assert slack.ephemerals[0]["user"] == "U1" and slack.ephemerals[0]["text"] == "psst"

        await web.reactions_add(channel="C1", timestamp="1700000000.000100", name="hourglass")
        with pytest.raises(SlackApiError) as again:
            await web.reactions_add(channel="C1", timestamp="1700000000.000100", name="hourglass")
        assert again.value.response["error"] == "already_reacted"
        await web.reactions_remove(channel="C1", timestamp="1700000000.000100", name="hourglass")
        with pytest.raises(SlackApiError) as absent:
            await web.reactions_remove(
                channel="C1", timestamp="1700000000.000100", name="hourglass"
            )
        assert absent.value.response["error"] == "no_reaction"
        assert slack.reactions[("C1", "1700000000.000100")] == set()

        view = {
            "type": "modal",
            "callback_id": "cb",
            "title": {"type": "plain_text", "text": "Imagine"},
            "blocks": [],
        }
        opened = await web.views_open(trigger_id="1.2.3", view=view)
        assert opened["view"]["id"].startswith("V") and slack.views[-1]["callback_id"] == "cb"
        await web.views_update(view_id=opened["view"]["id"], view={**view, "callback_id": "cb2"})
        assert (
            slack.views[-1]["callback_id"] == "cb2"
            and slack.views[-1]["id"] == opened["view"]["id"]
        )
        with pytest.raises(SlackApiError) as bad_view:
            await web.views_open(
                trigger_id="1.2.3", view={**view, "title": {"type": "plain_text", "text": "x" * 25}}
            )
        assert bad_view.value.response["error"] == "invalid_arguments"


async def test_response_url_records_json_and_refuses_garbage() -> None:
    async with FakeSlack(bot_token=TOKEN) as slack:
        url = slack.new_response_url()
        sent = await AsyncWebhookClient(url).send(text="done", response_type="ephemeral")
        assert sent.status_code == 200
        assert (
            slack.responses[0]["text"] == "done"
            and slack.responses[0]["response_type"] == "ephemeral"
        )
        async with httpx.AsyncClient() as http:
            assert (await http.post(url, content=b"not json")).status_code == 400
        await slack.wait_for(lambda: slack.responses)
        with pytest.raises(AssertionError, match="response"):
            await slack.wait_for(lambda: len(slack.responses) > 1, timeout=0.1)


# --- FakeOpenAI ---------------------------------------------------------------------------------


async def test_responses_api_answer_shape() -> None:
    async with (
        FakeOpenAI(api_key=KEY, latency_s=0.0) as oai,
        httpx.AsyncClient(base_url=oai.base_url) as http,
    ):
        answer = await http.post(
            "/responses",
            headers={"Authorization": f"Bearer {KEY}"},
            json={
                "model": "gpt-5",
                "input": [{"role": "user", "content": [{"type": "input_text", "text": "a fox"}]}],
                "tools": [IMAGE_TOOL],
            },
        )
        assert answer.status_code == 200 and answer.headers["x-request-id"].startswith("req_")
        body = answer.json()
        assert (body["object"], body["status"], body["model"]) == ("response", "completed", "gpt-5")
        call, message = body["output"]
        assert (
            call["type"] == "image_generation_call"
            and call["revised_prompt"] == "A detailed rendering of a fox"
        )
        assert (call["size"], call["quality"], call["output_format"]) == ("1536x1024", "low", "png")
        png = base64.b64decode(call["result"])
        assert png_size(png) == (64, 42)  # the requested aspect ratio, kept tiny
        assert message["content"][0]["type"] == "output_text"
        assert schema_errors("ResponseUsage", body["usage"]) == []
        assert oai.requests_to("/responses")[0].json["tools"] == [IMAGE_TOOL]


async def test_openai_auth_validation_and_faults() -> None:
    async with FakeOpenAI(api_key=KEY) as oai, httpx.AsyncClient(base_url=oai.base_url) as http:
        good = {"Authorization": f"Bearer {KEY}"}
        request = {"model": "gpt-5", "input": "a fox", "tools": [IMAGE_TOOL]}

        unauthorized = await http.post(
            "/responses", headers={"Authorization": "Bearer sk-wrong-key"}, json=request
        )
        assert (
            unauthorized.status_code == 401
            and unauthorized.json()["error"]["code"] == "invalid_api_key"
        )
        assert "x-request-id" in unauthorized.headers

        no_tool = await http.post("/responses", headers=good, json={**request, "tools": []})
        assert no_tool.status_code == 400 and no_tool.json()["error"]["param"] == "tools"
        bad_quality = await http.post(
            "/responses", headers=good, json={**request, "tools": [{**IMAGE_TOOL, "quality": "hd"}]}
        )
        assert bad_quality.json()["error"] == {
            "message": bad_quality.json()["error"]["message"], "type": "invalid_request_error",
            "param": "tools[0].quality", "code": "invalid_value",
        }  # fmt: skip

        oai.fail_next("/responses", status=400, code="moderation_blocked")
        oai.fail_next(
            "/responses", status=429, code="rate_limit_exceeded", headers={"retry-after-ms": "20"}
        )
        blocked = await http.post("/responses", headers=good, json=request)
        assert blocked.status_code == 400
        assert blocked.json()["error"]["type"] == "image_generation_user_error"
        limited = await http.post("/responses", headers=good, json=request)
        assert limited.status_code == 429 and limited.headers["retry-after-ms"] == "20"
        assert (await http.post("/responses", headers=good, json=request)).status_code == 200

        oai.fail_next("/responses", hang=True)
        with pytest.raises(httpx.ReadTimeout):
            await http.post("/responses", headers=good, json=request, timeout=0.2)


async def test_images_api_models_n_and_url_mode() -> None:
    async with (
        FakeOpenAI(api_key=KEY, url_mode=False) as oai,
        httpx.AsyncClient(base_url=oai.base_url) as http,
    ):
        headers = {"Authorization": f"Bearer {KEY}"}
        answer = await http.post(
            "/images/generations",
            headers=headers,
            json={"model": "gpt-image-1-mini", "prompt": "a fox", "n": 2},
        )
        body = answer.json()
        assert len(body["data"]) == 2 and "revised_prompt" not in body["data"][0]
        assert png_chunks(base64.b64decode(body["data"][0]["b64_json"]))
        assert body["usage"]["input_tokens_details"]["text_tokens"] >= 1
        assert (body["size"], body["output_format"]) == ("1024x1024", "png")

        no_model = await http.post("/images/generations", headers=headers, json={"prompt": "a fox"})
        assert no_model.status_code == 404 and no_model.json()["error"]["code"] == "model_not_found"
        legacy = await http.post(
            "/images/generations",
            headers=headers,
            json={"model": "gpt-image-1", "prompt": "a", "response_format": "url"},
        )
        assert legacy.json()["error"]["code"] == "unknown_parameter"

        oai.url_mode = True
        [item] = (
            await http.post(
                "/images/generations", headers=headers, json={"model": "gpt-image-1", "prompt": "a"}
            )
        ).json()["data"]
        image = await http.get(item["url"])
        assert image.headers["content-type"] == "image/png" and png_chunks(image.content)


async def test_dall_e_3_on_a_compatible_server_revises_the_prompt() -> None:
    async with (
        FakeOpenAI(api_key=KEY, retired_models=()) as oai,
        httpx.AsyncClient(base_url=oai.base_url) as http,
    ):
        headers = {"Authorization": f"Bearer {KEY}"}
        body = {
            "model": "dall-e-3",
            "prompt": "a fox",
            "response_format": "b64_json",
            "quality": "hd",
        }
        [item] = (await http.post("/images/generations", headers=headers, json=body)).json()["data"]
        assert item["revised_prompt"] == "A detailed rendering of a fox" and item["b64_json"]
        two = await http.post("/images/generations", headers=headers, json={**body, "n": 2})
        assert two.status_code == 400 and two.json()["error"]["param"] == "n"


async def test_latency_is_applied_and_changeable() -> None:
    async with (
        FakeOpenAI(api_key=KEY, latency_s=0.3) as oai,
        httpx.AsyncClient(base_url=oai.base_url) as http,
    ):
        request = {"model": "gpt-5", "input": "a fox", "tools": [IMAGE_TOOL]}
        headers = {"Authorization": f"Bearer {KEY}"}
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.gather(
            *(http.post("/responses", headers=headers, json=request) for _ in range(5))
        )
        assert 0.3 <= loop.time() - started < 1.0  # concurrent, not serialised
        oai.latency_s = 0.0
        started = loop.time()
        await http.post("/responses", headers=headers, json=request)
        assert loop.time() - started < 0.3


# --- images -------------------------------------------------------------------------------------


def test_make_png_is_a_valid_png() -> None:
    data = make_png(64, 64)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    offset, kinds = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        assert struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])[
            0
        ] == zlib.crc32(kind + body)
        kinds.append(kind)
        offset += 12 + length
    assert kinds == [b"IHDR", b"IDAT", b"IEND"]
    assert struct.unpack(">II", png_chunks(data)[0][1][:8]) == (64, 64)
    raw = zlib.decompress(png_chunks(data)[1][1])
    assert len(raw) == 64 * (1 + 64 * 3)


def test_make_png_hits_a_target_size_and_is_cached() -> None:
    data = make_png(1536, 1024, 2_000_000)
    assert abs(len(data) - 2_000_000) < 10_000
    width, height = png_size(data)
    assert abs(width / height - 1.5) < 0.01
    assert len(zlib.decompress(png_chunks(data)[1][1])) == height * (1 + width * 3)
    assert make_png(1536, 1024, 2_000_000) is data
    assert png_base64(1536, 1024, 2_000_000) is png_base64(1536, 1024, 2_000_000)


# --- command line -------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["tests.fakes.slack_api", "tests.fakes.openai_api"])
def test_command_line_prints_ready_and_stops_on_sigterm(module: str) -> None:
    command = [sys.executable, "-m", module, "--port", "0"]
    root = Path(__file__).parents[1]
    with subprocess.Popen(
        command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            line = process.stdout.readline()  # type: ignore[union-attr]
            assert line.startswith("READY http://127.0.0.1:")
            url = line.split()[1].rstrip("/")
            probe = httpx.post(url + ("/auth.test" if "slack" in module else "/responses"), json={})
            assert probe.status_code in (200, 401) and json.loads(probe.text)
        finally:
            process.terminate()
            _, errors = process.communicate(timeout=10)
        assert process.returncode == 0, errors
