"""The OpenAI client and both backends, against respx; bodies checked against the OpenAPI document."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
import respx
from pydantic import SecretStr

from bot import errors, messages
from bot.capabilities import capabilities_for
from bot.command import RawOptions
from bot.openai import ImagesBackend, OpenAIClient, ResponsesBackend, user_hash
from bot.openai.client import error_from_response, parse_retry_after
from bot.request import build_request
from tests.openapi import check_body, declared_properties

BASE = "https://openai.test/v1"
KEY = "sk-test-0123456789abcdefghij"
PNG = b"\x89PNG\r\n\x1a\nfake-image-bytes"
B64 = base64.b64encode(PNG).decode()


def responses_answer(revised: str = "A revised fox", result: str = B64) -> dict:
    return {
        "id": "resp_1",
        "object": "response",
        "status": "completed",
        "output": [
            {
                "type": "image_generation_call",
                "id": "ig_1",
                "status": "completed",
                "result": result,
                "revised_prompt": revised,
            },
            {"type": "message", "id": "msg_1", "role": "assistant", "content": []},
        ],
        "usage": {"input_tokens": 10, "output_tokens": 20, "total_tokens": 30},
    }


def error_answer(status: int, code: str | None, type_: str = "invalid_request_error", headers=None):
    body = {"error": {"message": f"failed: {code}", "type": type_, "param": None, "code": code}}
    return httpx.Response(status, json=body, headers={"x-request-id": "req_123", **(headers or {})})


@pytest.fixture
def no_sleep() -> list[float]:
    """The waits between retries, recorded instead of slept."""
    return []


@pytest.fixture
def client(no_sleep):
    async def record(seconds: float) -> None:
        no_sleep.append(seconds)

    return OpenAIClient(api_key=SecretStr(KEY), base_url=BASE, max_backoff_s=0.01, sleep=record)


def request_for(settings, text="a fox", **options):
    return build_request(text, RawOptions(**options), settings)


@respx.mock
async def test_responses_backend_body_and_revised_prompt(client, make_settings) -> None:
    settings = make_settings()
    route = respx.post(f"{BASE}/responses").mock(
        return_value=httpx.Response(200, json=responses_answer())
    )
    backend = ResponsesBackend(client, model="gpt-4.1-mini", caps=capabilities_for("gpt-image-2"))
    request = request_for(settings, n=3, size="landscape", quality="high", background="transparent")
    generation = await backend.generate(request, user=user_hash("T1", "U1"))

    assert route.call_count == 3  # n images are n concurrent calls
    body = json.loads(route.calls[0].request.content)
    assert check_body("CreateResponse", body) == []
    tool = body["tools"][0]
    assert set(tool) <= declared_properties("ImageGenTool")
    assert tool == {
        "type": "image_generation",
        "model": "gpt-image-2",
        "size": "1536x1024",
        "quality": "high",
        "output_format": "png",
        "moderation": "auto",
        "background": "transparent",
    }
    assert body["tool_choice"] == {"type": "image_generation"}
    assert body["input"] == "a fox" and body["model"] == "gpt-4.1-mini"
    assert body["user"] == user_hash("T1", "U1") and "U1" not in body["user"]
    assert route.calls[0].request.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in json.dumps(body)
    assert [i.data for i in generation.images] == [PNG] * 3
    assert [i.revised_prompt for i in generation.images] == ["A revised fox"] * 3
    assert generation.usage.total_tokens == 90


@respx.mock
async def test_images_backend_gpt_image_one_call_with_n(client, make_settings) -> None:
    settings = make_settings(image_api="images")
    answer = {
        "created": 1,
        "data": [{"b64_json": B64}, {"b64_json": B64}],
        "usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
    }
    route = respx.post(f"{BASE}/images/generations").mock(
        return_value=httpx.Response(200, json=answer)
    )
    backend = ImagesBackend(client, caps=capabilities_for("gpt-image-2"))
    generation = await backend.generate(request_for(settings, n=2, size="1536x864"), user="u")
    assert route.call_count == 1
    body = json.loads(route.calls[0].request.content)
    assert check_body("CreateImageRequest", body) == []
    assert body["n"] == 2 and body["model"] == "gpt-image-2" and body["output_format"] == "png"
    assert "response_format" not in body  # GPT Image models reject it
    assert [i.revised_prompt for i in generation.images] == [
        "a fox",
        "a fox",
    ]  # no revised prompt: the prompt


@respx.mock
async def test_images_backend_dall_e_3_one_call_per_image(client, make_settings) -> None:
    settings = make_settings(image_api="images", image_model="dall-e-3")
    answer = {"created": 1, "data": [{"b64_json": B64, "revised_prompt": "dall-e revised"}]}
    route = respx.post(f"{BASE}/images/generations").mock(
        return_value=httpx.Response(200, json=answer)
    )
    backend = ImagesBackend(client, caps=capabilities_for("dall-e-3"))
    generation = await backend.generate(request_for(settings, n=3, quality="hd"), user="u")
    assert route.call_count == 3
    for call in route.calls:
        body = json.loads(call.request.content)
        assert check_body("CreateImageRequest", body) == []
        assert body["n"] == 1 and body["response_format"] == "b64_json"
        assert not {"background", "output_format", "moderation"} & body.keys()
    assert [i.revised_prompt for i in generation.images] == ["dall-e revised"] * 3


@respx.mock
async def test_images_backend_downloads_url_answers(client, make_settings) -> None:
    settings = make_settings(image_api="images", image_model="dall-e-2")
    respx.post(f"{BASE}/images/generations").mock(
        return_value=httpx.Response(
            200,
            json={"data": [{"url": "https://cdn.test/a.png"}, {"url": "https://cdn.test/b.txt"}]},
        )
    )
    respx.get("https://cdn.test/a.png").mock(
        return_value=httpx.Response(200, content=PNG, headers={"content-type": "image/png"})
    )
    respx.get("https://cdn.test/b.txt").mock(
        return_value=httpx.Response(200, content=b"hi", headers={"content-type": "text/html"})
    )
    backend = ImagesBackend(client, caps=capabilities_for("dall-e-2"))
    with pytest.raises(errors.InvalidResponseError, match="not an image"):
        await backend.generate(request_for(settings, n=2), user="u")
    big = OpenAIClient(api_key=SecretStr(KEY), base_url=BASE, max_download_bytes=4)
    with pytest.raises(errors.InvalidResponseError, match="too large"):
        await big.download_image("https://cdn.test/a.png")
    data, content_type = await client.download_image("https://cdn.test/a.png")
    assert (data, content_type) == (PNG, "image/png")
    assert "authorization" not in respx.calls.last.request.headers  # no key sent to a CDN


@pytest.mark.parametrize(
    ("status", "code", "type_", "expected"),
    [
        (400, "moderation_blocked", "image_generation_user_error", errors.ModerationBlockedError),
        (400, "content_policy_violation", "invalid_request_error", errors.ModerationBlockedError),
        (400, "invalid_value", "invalid_request_error", errors.BadRequestError),
        (400, "unknown_parameter", "invalid_request_error", errors.BadRequestError),
        (400, "invalid_image", "invalid_request_error", errors.InputImageRejectedError),
        (400, "invalid_image_format", "invalid_request_error", errors.InputImageRejectedError),
        (401, "invalid_api_key", "invalid_request_error", errors.AuthenticationError),
        (403, None, "invalid_request_error", errors.PermissionDeniedError),
        (404, "model_not_found", "invalid_request_error", errors.ModelNotFoundError),
        (408, None, "server_error", errors.TransientStatusError),
        (409, None, "server_error", errors.TransientStatusError),
        (429, "rate_limit_exceeded", "requests", errors.RateLimitError),
        (429, "insufficient_quota", "insufficient_quota", errors.InsufficientQuotaError),
        (429, "credit_balance_exhausted", "insufficient_quota", errors.InsufficientQuotaError),
        (429, "project_spend_limit_exceeded", "insufficient_quota", errors.InsufficientQuotaError),
        (500, None, "server_error", errors.TransientStatusError),
        (503, None, "server_error", errors.TransientStatusError),
    ],
)
def test_error_table(status, code, type_, expected) -> None:
    response = error_answer(status, code, type_)
    exc = error_from_response(status, response.content, response.headers)
    assert type(exc) is expected
    assert (exc.status, exc.code, exc.request_id) == (status, code, "req_123")
    assert exc.retryable == (expected in (errors.RateLimitError, errors.TransientStatusError))


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ("image", errors.InputImageRejectedError),
        ("image[]", errors.InputImageRejectedError),
        ("input[0].content[1].image_url", errors.InputImageRejectedError),
        ("size", errors.BadRequestError),
        (None, errors.BadRequestError),
    ],
)
def test_a_400_about_an_input_image_is_the_images_fault_not_the_admins(param, expected) -> None:
    body = {"error": {"message": "Invalid image.", "type": "invalid_request_error",
                      "param": param, "code": "invalid_value"}}  # fmt: skip
    exc = error_from_response(400, json.dumps(body).encode(), {})
    assert type(exc) is expected
    if expected is errors.InputImageRejectedError:
        assert "could not use the image" in messages.for_error(exc)


def test_error_body_that_is_not_json_still_maps() -> None:
    exc = error_from_response(502, b"<html>bad gateway</html>", {})
    assert isinstance(exc, errors.TransientStatusError) and exc.code is None


def test_retry_after_headers() -> None:
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


@respx.mock
async def test_rate_limit_retried_after_retry_after(client, no_sleep) -> None:
    route = respx.post(f"{BASE}/responses").mock(
        side_effect=[
            error_answer(429, "rate_limit_exceeded", "requests", {"retry-after-ms": "1200"}),
            error_answer(503, None, "server_error"),
            httpx.Response(200, json=responses_answer()),
        ]
    )
    assert await client.post("responses", {"x": 1})
    assert route.call_count == 3
    assert no_sleep[0] == 1.2  # honoured retry-after-ms
    assert 0 <= no_sleep[1] <= 0.01  # jittered backoff capped by max_backoff_s


@respx.mock
async def test_retries_are_bounded(client, no_sleep) -> None:
    route = respx.post(f"{BASE}/responses").mock(
        return_value=error_answer(500, None, "server_error")
    )
    with pytest.raises(errors.TransientStatusError):
        await client.post("responses", {})
    assert route.call_count == 3  # 1 + max_retries (2)


@pytest.mark.parametrize(
    ("code", "type_", "status"),
    [
        ("moderation_blocked", "image_generation_user_error", 400),
        ("insufficient_quota", "insufficient_quota", 429),
        ("invalid_api_key", "invalid_request_error", 401),
    ],
)
@respx.mock
async def test_never_retried(client, no_sleep, code, type_, status) -> None:
    route = respx.post(f"{BASE}/responses").mock(return_value=error_answer(status, code, type_))
    with pytest.raises(errors.OpenAIError):
        await client.post("responses", {})
    assert route.call_count == 1 and no_sleep == []


@respx.mock
async def test_timeouts_and_connection_errors_are_retried(client, no_sleep) -> None:
    route = respx.post(f"{BASE}/responses").mock(
        side_effect=[
            httpx.ReadTimeout("slow"),
            httpx.ConnectError("refused"),
            httpx.Response(200, json={}),
        ]
    )
    assert await client.post("responses", {}) == b"{}"
    assert route.call_count == 3
    route.side_effect = httpx.ReadTimeout("slow")
    with pytest.raises(errors.APITimeoutError):
        await client.post("responses", {})


@respx.mock
async def test_partial_failure_keeps_the_images_that_worked(
    client, make_settings, no_sleep
) -> None:
    settings = make_settings()
    respx.post(f"{BASE}/responses").mock(
        side_effect=[
            httpx.Response(200, json=responses_answer("one")),
            error_answer(400, "moderation_blocked", "image_generation_user_error"),
            httpx.Response(200, json=responses_answer("three")),
        ]
    )
    backend = ResponsesBackend(client, model="gpt-4.1-mini", caps=capabilities_for("gpt-image-2"))
    generation = await backend.generate(request_for(settings, n=3), user="u")
    assert sorted(i.revised_prompt for i in generation.images) == ["one", "three"]
    assert [type(f) for f in generation.failures] == [errors.ModerationBlockedError]


@respx.mock
async def test_all_failed_raises_the_most_telling_error(client, make_settings, no_sleep) -> None:
    settings = make_settings()
    respx.post(f"{BASE}/responses").mock(
        side_effect=[
            error_answer(500, None, "server_error"),
            error_answer(500, None, "server_error"),
            error_answer(500, None, "server_error"),
            error_answer(400, "moderation_blocked", "image_generation_user_error"),
        ]
    )
    backend = ResponsesBackend(client, model="gpt-4.1-mini", caps=capabilities_for("gpt-image-2"))
    with pytest.raises(errors.ModerationBlockedError):
        await backend.generate(request_for(settings, n=2), user="u")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            {
                "status": "failed",
                "error": {"code": "moderation_blocked", "message": "no"},
                "output": [],
            },
            errors.ModerationBlockedError,
        ),
        (
            {"status": "completed", "output": [{"type": "message", "content": []}]},
            errors.InvalidResponseError,
        ),
        (responses_answer(result="***not base64***"), errors.InvalidResponseError),
        ({"output": "not a list"}, errors.InvalidResponseError),
        (
            {
                "status": "incomplete",
                "incomplete_details": {"reason": "content_filter"},
                "output": [],
            },
            errors.ModerationBlockedError,
        ),
        (
            {
                "status": "completed",
                "output": [
                    {
                        "type": "message",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": "Which style would you like?"}],
                    }
                ],
            },
            errors.NoImageError,
        ),
    ],
)
@respx.mock
async def test_unusable_responses(client, make_settings, answer, expected) -> None:
    respx.post(f"{BASE}/responses").mock(return_value=httpx.Response(200, json=answer))
    backend = ResponsesBackend(client, model="gpt-4.1-mini", caps=capabilities_for("gpt-image-2"))
    with pytest.raises(expected):
        await backend.generate(request_for(make_settings()), user="u")


def test_an_answer_in_words_is_shown_to_the_person() -> None:
    """What the model said instead of drawing is quoted (Slack's control characters escaped),
    with what to do."""
    exc = errors.NoImageError("Which style would you like for <!channel>?", status=200)
    text = messages.for_error(exc)
    assert text.startswith(":speech_balloon: OpenAI answered without an image:")
    assert "“Which style would you like for &lt;!channel&gt;?”" in text
    assert text.endswith("Try rephrasing your prompt.")


def test_user_hash_is_stable_and_one_way() -> None:
    assert user_hash("T1", "U1") == user_hash("T1", "U1")
    assert user_hash("T1", "U1") != user_hash("T1", "U2") != user_hash("T2", "U1")
    assert len(user_hash("T1", "U1")) == len("imagine-") + 32


def test_body_checker_catches_undeclared_and_invalid_fields() -> None:
    problems = check_body("CreateImageRequest", {"prompt": "x", "n": 0, "response_fmt": "url"})
    assert any("undeclared property: response_fmt" in p for p in problems)
    assert any(p.startswith("n:") for p in problems)
