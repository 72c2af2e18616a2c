"""People's images as input (issue #8): attached to a mention, a DM or the message a shortcut
is used on; bad files are answered before OpenAI; an edit falls back to the image itself."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from bot import messages
from tests.fakes import make_png
from tests.fakes.slack_events import app_mention_event, message_event
from tests.harness import Imagine, modal_defaults
from tests.test_refine import first_result, mention, numbered_responses, results


def input_images(body: dict) -> list[str]:
    """The ``image_url`` of every ``input_image`` in a Responses body."""
    items = body["input"] if isinstance(body["input"], list) else []
    return [
        part["image_url"]
        for item in items
        for part in item.get("content", [])
        if isinstance(part, dict) and part.get("type") == "input_image"
    ]


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


MUG = "put this logo on a coffee mug"


async def mention_with_png(imagine: Imagine, png: bytes) -> dict[str, Any]:
    """``@Imagine put this logo on a coffee mug`` in C1 with ``png`` attached as logo.png;
    returns the file's event item."""
    item = imagine.slack.add_user_file("logo.png", png, channel="C1", ts="1700001000.000100")
    await imagine.event(app_mention_event(f"<@UBOT> {MUG}", ts="1700001000.000100", files=[item]))
    return item


async def test_a_mention_with_an_attached_png_uses_it(start_imagine, openai_mock) -> None:
    bodies = numbered_responses(openai_mock)
    png = make_png(32, 32)
    async with start_imagine() as imagine:
        item = await mention_with_png(imagine, png)
        await imagine.slack.wait_for(lambda: results(imagine))
        assert input_images(bodies[0]) == [data_url(png)]
        assert MUG in json.dumps(bodies[0]["input"])
        assert imagine.slack.downloads == [(item["id"], True)]
        [result] = results(imagine)
        assert result.thread_ts == "1700001000.000100"


async def test_bad_files_are_refused_before_openai(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        svg = imagine.slack.add_user_file(
            "logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", channel="D1", ts="1.000001"
        )
        await imagine.event(message_event("make this a mug", ts="1700001100.000100", files=[svg]))
        await imagine.slack.wait_for(lambda: imagine.slack.ephemerals)
        [answer] = imagine.slack.ephemerals
        assert "logo.svg" in answer["text"] and "PNG" in answer["text"]
        pngs = [
            imagine.slack.add_user_file(f"p{i}.png", make_png(8, 8), channel="D1", ts="1.000002")
            for i in range(5)
        ]
        await imagine.event(
            message_event("combine these", ts="1700001100.000200", files=pngs), event_id="EvMany"
        )
        await imagine.slack.wait_for(lambda: len(imagine.slack.ephemerals) == 2)
        assert imagine.slack.ephemerals[1]["text"] == messages.input_too_many(5, 4)
        # a file past the free plan's visible history comes as a stub with only its id
        hidden = {"id": "F0HIDDEN1", "mode": "hidden_by_limit"}
        await imagine.event(
            message_event("use this", ts="1700001100.000300", files=[hidden]), event_id="EvHidden"
        )
        await imagine.slack.wait_for(lambda: len(imagine.slack.ephemerals) == 3)
        assert imagine.slack.ephemerals[2]["text"] == messages.input_hidden("F0HIDDEN1")
        assert openai_mock["responses"].call_count == 0
        assert imagine.slack.downloads == []  # refused before any download
        assert not imagine.slack.calls_to("reactions.add")  # and before any job was queued


async def test_an_edit_falls_back_to_the_image_when_the_response_is_gone(
    start_imagine, openai_mock
) -> None:
    bodies = numbered_responses(openai_mock)
    async with start_imagine() as imagine:
        result = await first_result(imagine)
        answer = openai_mock["responses"].side_effect

        def gone_once(request: httpx.Request) -> httpx.Response:
            body = json.loads(request.content)
            if body.get("previous_response_id"):
                bodies.append(body)
                return httpx.Response(
                    400,
                    json={
                        "error": {
                            "message": "Previous response with id 'resp_1' not found.",
                            "type": "invalid_request_error",
                            "param": "previous_response_id",
                            "code": "previous_response_not_found",
                        }
                    },
                )
            return answer(request)

        openai_mock["responses"].mock(side_effect=gone_once)
        await mention(imagine, "make the kite green", result.ts, "1700001200.000100")
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 2)
        uploaded = imagine.slack.uploads[result.files[0]["id"]].data
        assert uploaded is not None
        assert input_images(bodies[-1]) == [data_url(uploaded)]  # the result itself, from Slack
        assert (result.files[0]["id"], True) in imagine.slack.downloads
        assert results(imagine)[1].thread_ts == result.ts


async def test_a_shortcut_on_a_message_with_an_image_uses_it(start_imagine, openai_mock) -> None:
    bodies = numbered_responses(openai_mock)
    png = make_png(16, 16)
    async with start_imagine() as imagine:
        item = imagine.slack.add_user_file("logo.png", png, channel="C1", ts="1700001300.000100")
        view = await _open_brand(imagine, item)
        texts = json.dumps(view["blocks"])
        assert "Using 1 image from the message" in texts and "Leave them out" in texts
        await imagine.submit_view(view, modal_defaults(view))
        await imagine.slack.wait_for(lambda: results(imagine))
        assert input_images(bodies[0]) == [data_url(png)]
        assert results(imagine)[0].thread_ts == "1700001300.000100"


async def test_a_shortcut_uses_only_the_images_it_can_and_says_why(
    start_imagine, openai_mock
) -> None:
    """A message with a PNG, an SVG and a PDF: the modal counts the PNG only, says why the SVG
    is left out (the PDF is no image at all), and only the PNG reaches OpenAI."""
    bodies = numbered_responses(openai_mock)
    png = make_png(16, 16)
    async with start_imagine() as imagine:
        files = [
            imagine.slack.add_user_file("logo.png", png, channel="C1", ts="1700001600.000100"),
            imagine.slack.add_user_file(
                "logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>",
                mimetype="image/svg+xml", channel="C1", ts="1700001600.000100",
            ),
            imagine.slack.add_user_file(
                "brief.pdf", b"%PDF-1.7", mimetype="application/pdf", channel="C1",
                ts="1700001600.000100",
            ),
        ]  # fmt: skip
        message = {"ts": "1700001600.000100", "text": "our badge", "files": files}
        await imagine.message_shortcut("imagine_brand", message)
        await imagine.slack.wait_for(lambda: imagine.slack.views)
        view = imagine.slack.views[-1]
        texts = json.dumps(view["blocks"])
        assert "Using 1 image from the message" in texts
        assert "Left out: logo.svg is an SVG" in texts and "brief.pdf" not in texts
        await imagine.submit_view(view, modal_defaults(view))
        await imagine.slack.wait_for(lambda: results(imagine))
        assert input_images(bodies[0]) == [data_url(png)]


async def test_a_shortcut_can_leave_the_images_out(start_imagine, openai_mock) -> None:
    bodies = numbered_responses(openai_mock)
    async with start_imagine() as imagine:
        item = imagine.slack.add_user_file(
            "logo.png", make_png(16, 16), channel="C1", ts="1700001400.000100"
        )
        view = await _open_brand(imagine, item)
        values = modal_defaults(view)
        values["use_images"] = {
            "value": {"type": "checkboxes", "selected_options": [{"value": "leave_out"}]}
        }
        await imagine.submit_view(view, values)
        await imagine.slack.wait_for(lambda: results(imagine))
        assert input_images(bodies[0]) == [] and isinstance(bodies[0]["input"], str)


async def _open_brand(imagine: Imagine, item: dict) -> dict:
    message = {"ts": "1700001300.000100", "text": "our spring badge", "files": [item]}
    await imagine.message_shortcut("imagine_brand", message)
    await imagine.slack.wait_for(lambda: imagine.slack.views)
    return imagine.slack.views[-1]


async def test_an_image_attached_in_a_results_thread_is_used_with_the_result(
    start_imagine, openai_mock
) -> None:
    bodies = numbered_responses(openai_mock)
    logo = make_png(20, 20)
    async with start_imagine() as imagine:
        result = await first_result(imagine, "a plain coffee mug")
        item = imagine.slack.add_user_file(
            "logo.png", logo, channel="C1", ts="1700001500.000100", check_file_info=True
        )
        await mention(imagine, "put this logo on it", result.ts, "1700001500.000100", files=[item])
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 2)
        uploaded = imagine.slack.uploads[result.files[0]["id"]].data
        assert uploaded is not None
        assert input_images(bodies[1]) == [data_url(uploaded), data_url(logo)]
        assert "previous_response_id" not in bodies[1]
        edited = results(imagine)[1]
        assert edited.thread_ts == result.ts and "edited image #1" in edited.text


async def test_with_the_images_api_an_edit_sends_the_result_to_images_edits(
    start_imagine, openai_mock
) -> None:
    answer = {
        "created": 1_700_000_000,
        "data": [{"b64_json": base64.b64encode(make_png(8, 8)).decode()}],
        "output_format": "png",
    }
    openai_mock.post("/images/generations").mock(return_value=httpx.Response(200, json=answer))
    edits = openai_mock.post("/images/edits").mock(return_value=httpx.Response(200, json=answer))
    async with start_imagine(image_api="images") as imagine:
        result = await first_result(imagine)
        await mention(imagine, "make the kite green", result.ts, "1700001600.000100")
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 2)
        sent = edits.calls[0].request
        uploaded = imagine.slack.uploads[result.files[0]["id"]].data
        assert uploaded is not None and sent.headers["content-type"].startswith("multipart/")
        assert uploaded in sent.content and b"make the kite green" in sent.content
        assert results(imagine)[1].thread_ts == result.ts
