"""Edits through both backends: continue a response, fall back to sending the image, and
``POST /images/edits``; bodies checked against the OpenAPI schemas, then against FakeOpenAI."""

from __future__ import annotations

import base64
import hashlib
import json

import httpx
import pytest
import respx
from pydantic import SecretStr

from bot import errors, messages
from bot.capabilities import capabilities_for
from bot.command import RawOptions
from bot.inputs import InputImage
from bot.openai import EditInputs, ImagesBackend, OpenAIClient, ResponsesBackend
from bot.request import build_request
from tests.fakes import FakeOpenAI, make_png
from tests.openapi import check_body, declared_properties, schema_errors

BASE = "https://openai.test/v1"
KEY = "sk-test-0123456789abcdefghij"
OUT = make_png(4, 4)
LOGO = InputImage("logo.png", "image/png", make_png(12, 12))
PHOTO = InputImage("photo.jpg", "image/jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 40)


def answer(response_id: str = "resp_new", revised: str = "A green kite") -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": response_id,
            "object": "response",
            "status": "completed",
            "output": [
                {"type": "image_generation_call", "id": "ig_1", "status": "completed",
                 "result": base64.b64encode(OUT).decode(), "revised_prompt": revised},
            ],
            "usage": {"input_tokens": 900, "output_tokens": 272, "total_tokens": 1172,
                      "input_tokens_details": {"cached_tokens": 0}},
        },
    )  # fmt: skip


def not_found(response_id: str = "resp_old") -> httpx.Response:
    return httpx.Response(
        400,
        headers={"x-request-id": "req_nf"},
        json={"error": {"message": f"Previous response with id '{response_id}' not found.",
                        "type": "invalid_request_error", "param": "previous_response_id",
                        "code": "previous_response_not_found"}},
    )  # fmt: skip


class Loader:
    """An ``EditInputs.images`` callable that records when it ran, relative to ``on_answer``."""

    def __init__(self, *images: InputImage) -> None:
        self.images = list(images)
        self.events: list[str] = []

    async def __call__(self) -> list[InputImage]:
        self.events.append("images")
        return self.images

    async def on_answer(self) -> None:
        self.events.append("slot")


@pytest.fixture
def client():
    async def no_sleep(_: float) -> None:
        return None

    return OpenAIClient(api_key=SecretStr(KEY), base_url=BASE, max_backoff_s=0.01, sleep=no_sleep)


def responses(client, model: str = "gpt-image-2") -> ResponsesBackend:
    return ResponsesBackend(client, model="gpt-4.1-mini", caps=capabilities_for(model))


def request_for(settings, text="make the kite green", **options):
    return build_request(text, RawOptions(**options), settings)


def bodies(route) -> list[dict]:
    return [json.loads(call.request.content) for call in route.calls]


@respx.mock
async def test_continue_with_previous_response_id(client, make_settings) -> None:
    route = respx.post(f"{BASE}/responses").mock(return_value=answer())
    loader = Loader(LOGO)
    generation = await responses(client).generate(
        request_for(make_settings(), n=2),
        user="u",
        on_answer=loader.on_answer,
        inputs=EditInputs(previous_response_id="resp_old", images=loader, action="edit"),
    )
    assert route.call_count == 2
    for body in bodies(route):
        assert check_body("CreateResponse", body) == []
        assert body["previous_response_id"] == "resp_old"
        assert body["input"] == "make the kite green"
        assert body["store"] is True
        [tool] = body["tools"]  # the tool is sent again: tools are not carried over
        assert set(tool) <= declared_properties("ImageGenTool")
        assert tool["action"] == "edit" and "input_fidelity" not in tool  # gpt-image-2
        assert body["tool_choice"] == {"type": "image_generation"}
    assert "images" not in loader.events  # nothing downloaded when the response is there
    assert [i.response_id for i in generation.images] == ["resp_new", "resp_new"]
    assert [i.revised_prompt for i in generation.images] == ["A green kite"] * 2
    assert generation.usage.input_tokens == 1800


@respx.mock
async def test_previous_response_gone_falls_back_to_input_images(client, make_settings) -> None:
    route = respx.post(f"{BASE}/responses").mock(
        side_effect=lambda request: (
            not_found() if "previous_response_id" in json.loads(request.content) else answer()
        )
    )
    loader = Loader(LOGO, PHOTO)
    generation = await responses(client).generate(
        request_for(make_settings(), n=2),
        user="u",
        on_answer=loader.on_answer,
        inputs=EditInputs(previous_response_id="resp_old", images=loader, action="edit"),
    )
    assert len(generation.images) == 2 and not generation.failures
    sent = bodies(route)
    assert sum("previous_response_id" in b for b in sent) == 2  # each call tried to continue
    fallbacks = [b for b in sent if "previous_response_id" not in b]
    assert len(fallbacks) == 2 and fallbacks[0] == fallbacks[1]
    body = fallbacks[0]
    # The document's InputItem is a strict oneOf that rejects every list-content message
    # (platform.md): the body is checked with a text input, and the message on its own.
    assert check_body("CreateResponse", {**body, "input": "x"}) == []
    [message] = body["input"]
    assert schema_errors("EasyInputMessage", message) == []
    text, first, second = message["content"]
    assert text == {"type": "input_text", "text": "make the kite green"}
    assert first == {
        "type": "input_image",
        "image_url": "data:image/png;base64," + base64.b64encode(LOGO.data).decode(),
        "detail": "auto",
    }
    assert second["image_url"].startswith("data:image/jpeg;base64,")
    assert body["tools"][0]["action"] == "edit" and body["store"] is True
    assert loader.events.count("images") == 1  # loaded once for the n calls
    assert loader.events.index("slot") < loader.events.index("images")  # under the payload slot


@respx.mock
async def test_user_images_without_previous_response(client, make_settings) -> None:
    route = respx.post(f"{BASE}/responses").mock(return_value=answer())
    loader = Loader(LOGO)
    await responses(client, "gpt-image-1.5").generate(
        request_for(make_settings(image_model="gpt-image-1.5"), "put this logo on a mug"),
        user="u",
        inputs=EditInputs(images=loader),
    )
    [body] = bodies(route)
    assert "previous_response_id" not in body and route.call_count == 1
    assert body["input"][0]["content"][1]["type"] == "input_image"
    assert body["tools"][0]["input_fidelity"] == "high"  # gpt-image-1.5 takes it
    assert body["tools"][0]["action"] == "auto"


@respx.mock
async def test_previous_response_gone_and_no_images(client, make_settings) -> None:
    respx.post(f"{BASE}/responses").mock(return_value=not_found())
    with pytest.raises(errors.PreviousResponseNotFoundError) as caught:
        await responses(client).generate(
            request_for(make_settings()),
            user="u",
            inputs=EditInputs(previous_response_id="resp_old"),
        )
    assert caught.value.code == "previous_response_not_found" and caught.value.status == 400
    assert messages.for_error(caught.value) == messages.EDIT_SOURCE_GONE


@respx.mock
async def test_moderation_refusal_of_an_edit_says_so(client, make_settings) -> None:
    respx.post(f"{BASE}/responses").mock(
        return_value=httpx.Response(400, json={"error": {
            "message": "Your request was rejected by the safety system.",
            "type": "image_generation_user_error", "param": None, "code": "moderation_blocked"}})
    )  # fmt: skip
    with pytest.raises(errors.ModerationBlockedError) as caught:
        await responses(client).generate(
            request_for(make_settings()), user="u",
            inputs=EditInputs(previous_response_id="resp_old", action="edit"),
        )  # fmt: skip
    assert caught.value.edit
    assert "refused this edit" in messages.for_error(caught.value)
    plain = errors.ModerationBlockedError("no", status=400)
    assert "refused this prompt" in messages.for_error(plain)


@respx.mock
async def test_user_input_error_from_the_loader_propagates(client, make_settings) -> None:
    respx.post(f"{BASE}/responses").mock(return_value=answer())

    async def bad() -> list[InputImage]:
        raise errors.InputFileError("logo.svg is an SVG", reason="type", file_name="logo.svg")

    with pytest.raises(errors.InputFileError):
        await responses(client).generate(
            request_for(make_settings()), user="u", inputs=EditInputs(images=bad)
        )
    assert not respx.calls  # refused before OpenAI was called


@respx.mock
async def test_images_api_edit_is_multipart(client, make_settings) -> None:
    settings = make_settings(image_api="images")
    route = respx.post(f"{BASE}/images/edits").mock(
        return_value=httpx.Response(200, json={
            "created": 1, "data": [{"b64_json": base64.b64encode(OUT).decode()}] * 2,
            "usage": {"input_tokens": 1550, "output_tokens": 544, "total_tokens": 2094,
                      "input_tokens_details": {"text_tokens": 20, "image_tokens": 1530}}})
    )  # fmt: skip
    loader = Loader(LOGO, PHOTO)
    backend = ImagesBackend(client, caps=capabilities_for("gpt-image-2"))
    generation = await backend.generate(
        request_for(settings, n=2, size="1536x864", background="opaque"),
        user="u",
        on_answer=loader.on_answer,
        inputs=EditInputs(previous_response_id="resp_ignored", images=loader),
    )
    request = route.calls.last.request
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    content = request.content
    assert content.count(b'name="image[]"') == 2 and LOGO.data in content
    assert b"Content-Type: image/jpeg" in content and b'filename="image-2.jpg"' in content
    assert b"logo.png" not in content  # users' file names stay in Slack
    for field in (b'name="response_format"', b'name="moderation"', b'name="input_fidelity"'):
        assert field not in content
    assert b'name="model"\r\n\r\ngpt-image-2' in content and b'name="n"\r\n\r\n2' in content
    assert len(generation.images) == 2 and generation.images[0].response_id is None
    assert generation.usage.input_tokens_details.image_tokens == 1530
    assert loader.events[:2] == ["slot", "images"]  # the slot is taken before the download


async def test_images_api_edit_needs_a_gpt_image_model(client, make_settings) -> None:
    settings = make_settings(image_api="images", image_model="dall-e-3")
    backend = ImagesBackend(client, caps=capabilities_for("dall-e-3"))
    with pytest.raises(errors.UserInputError, match="GPT Image model"):
        await backend.generate(
            request_for(settings), user="u", inputs=EditInputs(images=Loader(LOGO))
        )


@respx.mock
async def test_multipart_edit_is_retried_whole(client, make_settings) -> None:
    ok = {"created": 1, "data": [{"b64_json": base64.b64encode(OUT).decode()}]}
    route = respx.post(f"{BASE}/images/edits").mock(
        side_effect=[
            httpx.Response(503, json={"error": {"message": "overloaded", "type": "server_error",
                                                "param": None, "code": None}}),
            httpx.Response(200, json=ok),
        ]
    )  # fmt: skip
    backend = ImagesBackend(client, caps=capabilities_for("gpt-image-2"))
    settings = make_settings(image_api="images")
    await backend.generate(request_for(settings), user="u", inputs=EditInputs(images=Loader(LOGO)))
    first, second = (call.request for call in route.calls)
    assert LOGO.data in first.content and LOGO.data in second.content
    assert len(first.content) == len(second.content)
    assert KEY not in first.content.decode("latin-1")  # the key only in the header


# --- against the strict fake ---------------------------------------------------------------------


async def test_continue_forget_and_fall_back_against_fake_openai(make_settings) -> None:
    async with FakeOpenAI(api_key=KEY) as oai:
        client = OpenAIClient(api_key=SecretStr(KEY), base_url=oai.base_url)
        backend = responses(client)
        settings = make_settings()
        first = await backend.generate(request_for(settings, "a red kite"), user="u")
        [drawn] = first.images
        assert drawn.response_id in oai.stored

        inputs = EditInputs(drawn.response_id, Loader(LOGO), action="edit")
        edited = await backend.generate(request_for(settings), user="u", inputs=inputs)
        assert oai.requests_to("/responses")[-1].json["previous_response_id"] == drawn.response_id
        assert oai.stored[edited.images[0].response_id].previous_response_id == drawn.response_id

        oai.forget()  # 30 days later
        again = await backend.generate(request_for(settings), user="u", inputs=inputs)
        last = oai.requests_to("/responses")[-1]
        assert "previous_response_id" not in last.json
        assert [i.sha256 for i in last.images] == [hashlib.sha256(LOGO.data).hexdigest()]
        assert again.images[0].response_id in oai.stored
        await client.aclose()


async def test_images_edits_against_fake_openai(make_settings) -> None:
    async with FakeOpenAI(api_key=KEY) as oai:
        client = OpenAIClient(api_key=SecretStr(KEY), base_url=oai.base_url)
        for model in ("gpt-image-2", "gpt-image-1.5"):
            settings = make_settings(image_api="images", image_model=model)
            backend = ImagesBackend(client, caps=capabilities_for(model))
            generation = await backend.generate(
                request_for(settings, n=2, background="transparent"),
                user="u",
                inputs=EditInputs(images=Loader(LOGO, PHOTO)),
            )
            assert len(generation.images) == 2
            assert generation.usage.input_tokens_details.image_tokens > 0
            recorded = oai.requests_to("/images/edits")[-1]
            assert [i.mimetype for i in recorded.images] == ["image/png", "image/jpeg"]
            assert set(recorded.json) <= declared_properties("CreateImageEditRequest") | {"image[]"}
        await client.aclose()
