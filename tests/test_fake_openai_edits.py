"""FakeOpenAI's edit paths: ``previous_response_id``, list-content input with ``input_image``,
and ``POST /images/edits`` (multipart and JSON), strict as the real API."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest

from tests.fakes import FakeOpenAI, make_png
from tests.openapi import schema_errors

KEY = "sk-test-edits"
AUTH = {"Authorization": f"Bearer {KEY}"}
TOOL = {"type": "image_generation", "model": "gpt-image-2", "size": "1024x1024", "quality": "low"}
PNG = make_png(8, 8)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24
HTML = b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>"


def data_url(data: bytes, mimetype: str = "image/png") -> str:
    return f"data:{mimetype};base64,{base64.b64encode(data).decode()}"


def image_message(text: str, *urls: str) -> dict:
    content = [{"type": "input_text", "text": text}]
    content += [{"type": "input_image", "image_url": url, "detail": "auto"} for url in urls]
    return {"role": "user", "content": content}


@pytest.fixture
async def oai():
    async with FakeOpenAI(api_key=KEY) as server:
        yield server


@pytest.fixture
async def http(oai):
    async with httpx.AsyncClient(base_url=oai.base_url, headers=AUTH) as client:
        yield client


async def test_previous_response_id_continues_a_stored_response(oai, http) -> None:
    first = await http.post(
        "/responses", json={"model": "gpt-5", "input": "a kite", "tools": [TOOL]}
    )
    first_id = first.json()["id"]
    assert first_id in oai.stored

    body = {
        "model": "gpt-5",
        "input": "make the kite green",
        "previous_response_id": first_id,
        "tools": [{**TOOL, "action": "edit"}],
        "store": True,
    }
    assert schema_errors("CreateResponse", body) == []
    second = await http.post("/responses", json=body)
    assert second.status_code == 200, second.text
    answer = second.json()
    assert answer["previous_response_id"] == first_id
    assert answer["output"][0]["action"] == "edit"
    # the earlier turn is billed again as input
    assert answer["usage"]["input_tokens"] > first.json()["usage"]["total_tokens"]
    assert oai.stored[answer["id"]].previous_response_id == first_id


async def test_unknown_forgotten_or_unstored_previous_id_is_not_found(oai, http) -> None:
    unstored = await http.post(
        "/responses", json={"model": "gpt-5", "input": "a", "tools": [TOOL], "store": False}
    )
    stored = await http.post("/responses", json={"model": "gpt-5", "input": "b", "tools": [TOOL]})
    oai.forget(stored.json()["id"])
    for missing in (unstored.json()["id"], stored.json()["id"], "resp_nonexistent"):
        answer = await http.post(
            "/responses",
            json={"model": "gpt-5", "input": "c", "previous_response_id": missing, "tools": [TOOL]},
        )
        assert answer.status_code == 400
        assert answer.json() == {
            "error": {
                "message": f"Previous response with id '{missing}' not found.",
                "type": "invalid_request_error",
                "param": "previous_response_id",
                "code": "previous_response_not_found",
            }
        }
        assert answer.headers["x-request-id"].startswith("req_")


async def test_list_content_with_input_images(oai, http) -> None:
    message = image_message("put this logo on a mug", data_url(PNG), data_url(JPEG, "image/jpeg"))
    assert schema_errors("EasyInputMessage", message) == []
    answer = await http.post(
        "/responses",
        json={"model": "gpt-5", "input": [message], "tools": [{**TOOL, "action": "edit"}]},
    )
    assert answer.status_code == 200, answer.text
    call = answer.json()["output"][0]
    assert call["revised_prompt"] == "A detailed rendering of put this logo on a mug"
    seen = oai.requests_to("/responses")[-1].images
    assert [(i.mimetype, i.sha256) for i in seen] == [
        ("image/png", hashlib.sha256(PNG).hexdigest()),
        ("image/jpeg", hashlib.sha256(JPEG).hexdigest()),
    ]
    plain = await http.post("/responses", json={"model": "gpt-5", "input": "x", "tools": [TOOL]})
    assert answer.json()["usage"]["input_tokens"] > plain.json()["usage"]["input_tokens"] + 1000


@pytest.mark.parametrize(
    ("content", "param", "code"),
    [
        ([{"type": "input_text", "text": "x"}, {"type": "input_image", "image_url": data_url(PNG)}],
         "input[0]", "invalid_value"),  # no detail: breaks EasyInputMessage
        ([{"type": "input_text", "text": "x"},
          {"type": "input_image", "image_url": data_url(HTML), "detail": "auto"}],
         "input[0].content[1].image_url", "invalid_image"),  # a PNG by name, HTML by bytes
        ([{"type": "input_text", "text": "x"},
          {"type": "input_image", "image_url": data_url(HTML, "text/html"), "detail": "auto"}],
         "input[0].content[1].image_url", "invalid_image_format"),
        ([{"type": "input_text", "text": "x"},
          {"type": "input_image", "image_url": "data:image/png;base64,@@@", "detail": "auto"}],
         "input[0].content[1].image_url", "invalid_value"),
        ([{"type": "input_text", "text": "x"},
          {"type": "input_image", "file_id": "file-1", "detail": "auto"}],
         "input[0].content[1].file_id", "file_not_found"),
        ([{"type": "input_image", "image_url": data_url(PNG), "detail": "auto"}],
         "input[].content[].text", "missing_required_parameter"),
    ],
)  # fmt: skip
async def test_bad_input_images_are_refused(http, content, param, code) -> None:
    answer = await http.post(
        "/responses",
        json={"model": "gpt-5", "input": [{"role": "user", "content": content}], "tools": [TOOL]},
    )
    assert answer.status_code in (400, 404), answer.text
    assert (answer.json()["error"]["param"], answer.json()["error"]["code"]) == (param, code)


async def test_edit_action_needs_an_image_and_fidelity_is_not_for_gpt_image_2(http) -> None:
    edit = await http.post(
        "/responses", json={"model": "gpt-5", "input": "x", "tools": [{**TOOL, "action": "edit"}]}
    )
    assert edit.json()["error"]["param"] == "tools[0].action"
    fidelity = await http.post(
        "/responses",
        json={"model": "gpt-5", "input": "x", "tools": [{**TOOL, "input_fidelity": "high"}]},
    )
    assert fidelity.json()["error"]["param"] == "tools[0].input_fidelity"


async def test_images_edits_multipart(oai, http) -> None:
    files = [
        ("image[]", ("logo.png", PNG, "image/png")),
        ("image[]", ("photo.webp", WEBP, "image/webp")),
    ]
    data = {"model": "gpt-image-2", "prompt": "a mug with this logo", "n": "2",
            "size": "1536x1024", "quality": "low", "background": "opaque",
            "output_format": "png"}  # fmt: skip
    answer = await http.post("/images/edits", data=data, files=files)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert schema_errors("ImagesResponse", body) == []
    assert len(body["data"]) == 2 and body["size"] == "1536x1024"
    assert body["usage"]["input_tokens_details"]["image_tokens"] > 0
    recorded = oai.requests_to("/images/edits")[-1]
    assert recorded.json["image[]"][0] == {
        "filename": "logo.png", "content_type": "image/png", "size": len(PNG),
    }  # fmt: skip
    assert [i.mimetype for i in recorded.images] == ["image/png", "image/webp"]
    single = await http.post(
        "/images/edits",
        data={"model": "gpt-image-1.5", "prompt": "x", "input_fidelity": "high"},
        files={"image": ("a.jpg", JPEG, "image/jpeg")},
    )
    assert single.status_code == 200, single.text


@pytest.mark.parametrize(
    ("data", "files", "param", "code"),
    [
        ({"model": "gpt-image-2", "prompt": "x"}, [], "image", "missing_required_parameter"),
        ({"model": "gpt-image-2"}, [("image[]", ("a.png", PNG, "image/png"))], "prompt",
         "missing_required_parameter"),
        ({"model": "gpt-image-2", "prompt": "x", "moderation": "low"},
         [("image[]", ("a.png", PNG, "image/png"))], "moderation", "unknown_parameter"),
        ({"model": "gpt-image-2", "prompt": "x", "response_format": "b64_json"},
         [("image[]", ("a.png", PNG, "image/png"))], "response_format", "unknown_parameter"),
        ({"model": "gpt-image-2", "prompt": "x", "input_fidelity": "high"},
         [("image[]", ("a.png", PNG, "image/png"))], "input_fidelity", "invalid_value"),
        ({"model": "gpt-image-2", "prompt": "x"},
         [("image[]", ("logo.svg", b"<svg/>", "image/svg+xml"))], "image[0]",
         "invalid_image_format"),
        ({"model": "gpt-image-2", "prompt": "x"},
         [("image[]", ("a.png", HTML, "image/png"))], "image[0]", "invalid_image"),
        ({"model": "gpt-image-2", "prompt": "x"},
         [("image[]", (f"{i}.png", PNG, "image/png")) for i in range(17)], "image",
         "invalid_value"),
        ({"model": "gpt-image-2", "prompt": "x", "n": "11"},
         [("image[]", ("a.png", PNG, "image/png"))], "n", "invalid_value"),
        ({"model": "dall-e-3", "prompt": "x"}, [("image[]", ("a.png", PNG, "image/png"))],
         "model", "model_not_found"),
    ],
)  # fmt: skip
async def test_images_edits_refusals(http, data, files, param, code) -> None:
    if files:
        answer = await http.post("/images/edits", data=data, files=files)
    else:  # a form with text fields only (httpx would send it urlencoded)
        parts = [
            f'--b\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in data.items()
        ]
        content = ("".join(parts) + "--b--\r\n").encode()
        headers = {"Content-Type": "multipart/form-data; boundary=b"}
        answer = await http.post("/images/edits", content=content, headers=headers)
    assert answer.status_code in (400, 404), answer.text
    assert (answer.json()["error"]["param"], answer.json()["error"]["code"]) == (param, code)


async def test_images_edits_json(oai, http) -> None:
    body = {
        "model": "gpt-image-2",
        "prompt": "watercolour",
        "images": [{"image_url": data_url(PNG)}],
    }
    assert schema_errors("EditImageBodyJsonParam", body) == []
    answer = await http.post("/images/edits", json=body)
    assert answer.status_code == 200, answer.text
    assert oai.requests_to("/images/edits")[-1].images[0].size == len(PNG)
    custom = await http.post("/images/edits", json={**body, "size": "1536x864"})
    assert custom.status_code == 400  # the JSON form only takes the listed sizes
    no_images = await http.post("/images/edits", json={"model": "gpt-image-2", "prompt": "x"})
    assert no_images.json()["error"]["code"] == "missing_required_parameter"
