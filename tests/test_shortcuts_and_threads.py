"""Message shortcuts, the modal, mentions in threads, deduplication and Regenerate."""

from __future__ import annotations

import json

from tests.conftest import revised
from tests.harness import modal_defaults, select_state

SOURCE = {"ts": "1700000000.000100", "text": "Q3 revenue grew 40% &amp; churn fell <@U9|carol>"}


def as_list(blocks):
    return blocks if isinstance(blocks, list) else json.loads(blocks)


async def open_modal(imagine, callback_id: str, message: dict = SOURCE) -> dict:
    answer = await imagine.message_shortcut(callback_id, message)
    assert answer.status == 200
    await imagine.slack.wait_for(lambda: imagine.slack.views)
    view = imagine.slack.views[-1]
    return view if isinstance(view, dict) and "callback_id" in view else view["view"]


def field(view: dict, block_id: str) -> dict:
    return next(b for b in as_list(view["blocks"]) if b.get("block_id") == block_id)


async def test_slide_shortcut_opens_prefilled_modal(start_imagine) -> None:
    async with start_imagine() as imagine:
        view = await open_modal(imagine, "imagine_slide")
        prompt = field(view, "prompt")["element"]
        assert prompt["initial_value"] == "Q3 revenue grew 40% & churn fell @carol"
        assert prompt["max_length"] == 1000 and prompt["multiline"] is True
        n_options = [o["value"] for o in field(view, "n")["element"]["options"]]
        assert n_options == ["1", "2", "3", "4", "5"]
        assert field(view, "size")["element"]["initial_option"]["value"] == "1536x864"
        assert "quality" in {b.get("block_id") for b in as_list(view["blocks"])}
        assert "background" not in {b.get("block_id") for b in as_list(view["blocks"])}
        assert imagine.slack.calls_to("views.open")[0].params["trigger_id"]


async def test_slide_defaults_post_in_the_messages_thread(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        view = await open_modal(imagine, "imagine_slide")
        answer = await imagine.submit_view(view, modal_defaults(view))
        assert answer.status == 200 and not answer.body  # modal closes
        await imagine.slack.wait_for(lambda: any(m.files for m in imagine.slack.messages))
        [message] = [m for m in imagine.slack.messages if m.files]
        assert (message.channel, message.thread_ts) == ("C1", SOURCE["ts"])
        body = json.loads(openai_mock["responses"].calls[0].request.content)
        assert body["tools"][0]["size"] == "1536x864"
        assert "presentation-ready" in body["input"]
        assert "Q3 revenue grew 40% & churn fell @carol" in body["input"]  # verbatim
        assert message.text.startswith("<@U1> imagined: A detailed rendering of")


async def test_reply_in_a_thread_uses_the_parent_thread(start_imagine) -> None:
    reply = {"ts": "1700000000.000900", "thread_ts": "1700000000.000100", "text": "a logo idea"}
    async with start_imagine() as imagine:
        view = await open_modal(imagine, "imagine_brand", reply)
        await imagine.submit_view(view, modal_defaults(view))
        await imagine.slack.wait_for(lambda: any(m.files for m in imagine.slack.messages))
        [message] = [m for m in imagine.slack.messages if m.files]
        assert message.thread_ts == "1700000000.000100"


async def test_brand_preset_offers_transparent_and_adds_brand_guide(
    start_imagine, openai_mock
) -> None:
    async with start_imagine(brand_guide="Navy and coral, flat vector") as imagine:
        view = await open_modal(imagine, "imagine_brand")
        backgrounds = [o["value"] for o in field(view, "background")["element"]["options"]]
        assert "transparent" in backgrounds
        assert field(view, "size")["element"]["initial_option"]["value"] == "1024x1024"
        values = select_state(
            {"n": "2", "size": "1024x1024", "quality": "high", "background": "transparent"},
            "spring launch badge",
        )
        await imagine.submit_view(view, values)
        await imagine.slack.wait_for(lambda: any(m.files for m in imagine.slack.messages))
        body = json.loads(openai_mock["responses"].calls[0].request.content)
        assert (
            body["tools"][0]["background"] == "transparent"
            and body["tools"][0]["output_format"] == "png"
        )
        assert (
            "Navy and coral, flat vector" in body["input"]
            and "spring launch badge" in body["input"]
        )
        assert openai_mock["responses"].call_count == 2


async def test_invalid_modal_input_is_refused_next_to_the_field(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        view = await open_modal(imagine, "imagine_slide")
        empty = await imagine.submit_view(view, select_state({"n": "1"}, "   "))
        assert empty.body["response_action"] == "errors" and "prompt" in empty.body["errors"]
        forged = await imagine.submit_view(view, select_state({"n": "1", "size": "999x7"}, "a fox"))
        assert forged.body["response_action"] == "errors" and "size" in forged.body["errors"]
        too_many = await imagine.submit_view(view, select_state({"n": "50"}, "a fox"))
        assert "n" in too_many.body["errors"]
        assert openai_mock["responses"].call_count == 0


async def test_progress_reactions_on_the_source_message(start_imagine) -> None:
    async with start_imagine() as imagine:
        view = await open_modal(imagine, "imagine_slide")
        await imagine.submit_view(view, modal_defaults(view))
        await imagine.slack.wait_for(lambda: len(imagine.slack.calls_to("reactions.add")) == 2)
        names = [
            (c.method, c.params["name"])
            for c in imagine.slack.calls
            if c.method.startswith("reactions.")
        ]
        assert names == [
            ("reactions.add", "hourglass_flowing_sand"),
            ("reactions.remove", "hourglass_flowing_sand"),
            ("reactions.add", "white_check_mark"),
        ]
        assert all(
            c.params["timestamp"] == SOURCE["ts"] for c in imagine.slack.calls_to("reactions.add")
        )


async def test_failed_job_ends_with_a_warning_reaction(start_imagine, openai_mock) -> None:
    import httpx

    openai_mock["responses"].mock(
        side_effect=None,
        return_value=httpx.Response(
            401,
            json={
                "error": {
                    "message": "bad key",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            },
        ),
    )
    async with start_imagine() as imagine:
        view = await open_modal(imagine, "imagine_slide")
        await imagine.submit_view(view, modal_defaults(view))
        await imagine.slack.wait_for(lambda: len(imagine.slack.calls_to("reactions.add")) == 2)
        assert imagine.slack.calls_to("reactions.add")[-1].params["name"] == "warning"
        await imagine.slack.wait_for(lambda: imagine.slack.responses)
        assert "misconfigured" in imagine.slack.responses[0]["text"]


async def test_empty_imagine_opens_the_general_modal(start_imagine) -> None:
    async with start_imagine() as imagine:
        answer = await imagine.command("")
        assert answer.status == 200
        await imagine.slack.wait_for(lambda: imagine.slack.views)
        view = imagine.slack.views[-1]
        view = view if "callback_id" in view else view["view"]
        await imagine.submit_view(view, select_state({"n": "1"}, "a lighthouse"))
        await imagine.slack.wait_for(lambda: any(m.files for m in imagine.slack.messages))
        [message] = [m for m in imagine.slack.messages if m.files]
        assert (message.channel, message.thread_ts) == ("C1", None)


def mention(text: str, ts: str = "1700000000.000500", thread_ts: str | None = None) -> dict:
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": text,
        "ts": ts,
        "channel": "C1",
        "event_ts": ts,
        "team": "T1",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


async def test_mention_in_a_thread_replies_in_that_thread(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        answer = await imagine.event(
            mention("<@UBOT> a watercolour fox", thread_ts="1700000000.000001")
        )
        assert answer.status == 200
        await imagine.slack.wait_for(lambda: any(m.files for m in imagine.slack.messages))
        [message] = [m for m in imagine.slack.messages if m.files]
        assert message.thread_ts == "1700000000.000001"
        assert message.text == f"<@U1> imagined: {revised('a watercolour fox')}"
        assert "UBOT" not in json.loads(openai_mock["responses"].calls[0].request.content)["input"]


async def test_mention_in_a_channel_starts_a_thread(start_imagine) -> None:
    async with start_imagine() as imagine:
        await imagine.event(mention("<@UBOT> --n 2 a fox", ts="1700000000.000777"))
        await imagine.slack.wait_for(lambda: any(m.files for m in imagine.slack.messages))
        [message] = [m for m in imagine.slack.messages if m.files]
        assert message.thread_ts == "1700000000.000777" and len(message.files) == 2


async def test_retried_event_generates_once(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        first = await imagine.event(mention("<@UBOT> a fox"), event_id="Ev42")
        again = await imagine.event(mention("<@UBOT> a fox"), event_id="Ev42", retry_num=1)
        assert first.status == again.status == 200
        await imagine.slack.wait_for(lambda: any(m.files for m in imagine.slack.messages))
        await imagine.slack.wait_for(lambda: imagine.slack.calls_to("chat.postMessage"))
        assert openai_mock["responses"].call_count == 1
        assert len([m for m in imagine.slack.messages if m.files]) == 1


async def test_mention_errors_go_to_the_user_in_the_thread(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        await imagine.event(
            mention("<@UBOT> --n 9 a fox", thread_ts="1700000000.000001"), event_id="Ev7"
        )
        await imagine.slack.wait_for(lambda: imagine.slack.ephemerals)
        [ephemeral] = imagine.slack.ephemerals
        assert "from 1 to 5" in ephemeral["text"] and ephemeral["thread_ts"] == "1700000000.000001"
        assert ephemeral["user"] == "U1"
        # another post (its own ts: one post is handled once, whatever event carries it)
        await imagine.event(mention("<@UBOT>", ts="1700000000.000600"), event_id="Ev8")
        await imagine.slack.wait_for(lambda: len(imagine.slack.ephemerals) == 2)
        assert "/imagine [options] <prompt>" in imagine.slack.ephemerals[1]["text"]
        assert openai_mock["responses"].call_count == 0


async def test_regenerate_same_prompt_same_thread_new_user(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        await imagine.event(mention("<@UBOT> --size portrait a fox", thread_ts="1700000000.000001"))
        await imagine.slack.wait_for(lambda: any(m.blocks for m in imagine.slack.messages))
        [button_message] = [m for m in imagine.slack.messages if m.blocks]
        assert button_message.thread_ts == "1700000000.000001"
        key = next(
            e["value"]
            for b in as_list(button_message.blocks)
            if b["type"] == "actions"
            for e in b["elements"]
        )
        answer = await imagine.click("imagine_regenerate", key, user="U3")
        assert answer.status == 200
        await imagine.slack.wait_for(
            lambda: len([m for m in imagine.slack.messages if m.files]) == 2
        )
        second = [m for m in imagine.slack.messages if m.files][1]
        assert second.thread_ts == "1700000000.000001"
        assert second.text.startswith("<@U3> regenerated:")
        bodies = [json.loads(c.request.content) for c in openai_mock["responses"].calls]
        assert bodies[0]["input"] == bodies[1]["input"] == "a fox"
        assert bodies[1]["tools"][0]["size"] == "1024x1536"


async def test_unknown_regenerate_key_says_expired(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        await imagine.click("imagine_regenerate", "no-such-key")
        await imagine.slack.wait_for(lambda: imagine.slack.responses)
        assert "expired" in imagine.slack.responses[0]["text"]
        assert openai_mock["responses"].call_count == 0
