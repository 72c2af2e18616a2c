"""Refine in the thread (issue #8), through the real app: mentions in a result's thread edit it
(continuing the response that drew it), #k picks an image, follow-ups chain, Edit… and
Variations, and every bad-input message."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import httpx

from bot import messages
from tests.conftest import responses_answer
from tests.fakes.slack_events import app_mention_event
from tests.harness import Imagine, select_state
from tests.test_threads import eventually


def numbered_responses(openai_mock: Any) -> list[dict[str, Any]]:
    """Give each OpenAI answer its own response id (resp_1, resp_2, …); returns the bodies
    sent, in order."""
    ids = itertools.count(1)
    bodies: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        response = responses_answer(request)
        data = json.loads(response.content)
        data["id"] = f"resp_{next(ids)}"
        return httpx.Response(200, json=data, headers={"x-request-id": "req"})

    openai_mock["responses"].mock(side_effect=answer)
    return bodies


def results(imagine: Imagine) -> list[Any]:
    return [m for m in imagine.slack.messages if m.files]


async def first_result(imagine: Imagine, text: str = "a red kite") -> Any:
    """``/imagine text``; returns its result message once it is recorded, located and has
    its buttons."""
    await imagine.command(text)
    await imagine.slack.wait_for(lambda: results(imagine))
    [result] = results(imagine)
    store = imagine.services.threads.store
    await eventually(lambda: store.latest("T1", "C1", result.ts))
    await job_of(imagine, 0)
    return result


async def job_of(imagine: Imagine, index: int) -> str:
    """The job id behind the index-th result, from its per-image action values (waiting for
    its buttons)."""

    def values() -> list[str]:
        return [
            e["value"] if "value" in e else e["options"][0]["value"]
            for m in imagine.slack.messages
            if m.blocks and not m.files
            for b in m.blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["action_id"] == "imagine_edit"
        ]

    await imagine.slack.wait_for(lambda: len(values()) > index)
    return str(values()[index].split(":")[0])


async def mention(imagine: Imagine, text: str, thread_ts: str, ts: str, **extra: Any) -> None:
    answer = await imagine.event(
        app_mention_event(f"<@UBOT> {text}".strip(), ts=ts, thread_ts=thread_ts, **extra),
        event_id=f"Ev{ts}",
    )
    assert answer.status == 200


async def test_a_mention_in_a_results_thread_edits_it_and_follow_ups_chain(
    start_imagine, openai_mock
) -> None:
    bodies = numbered_responses(openai_mock)
    async with start_imagine() as imagine:
        result = await first_result(imagine)
        await mention(imagine, "make the kite green", result.ts, "1700009000.000100")
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 2)
        edited = results(imagine)[1]
        assert (edited.channel, edited.thread_ts) == ("C1", result.ts)
        assert bodies[1]["previous_response_id"] == "resp_1"
        assert bodies[1]["input"] == "make the kite green"
        assert bodies[1]["tools"][0]["type"] == "image_generation"
        assert "edited image #1 (the default" in edited.text
        assert "“make the kite green”" in edited.text and "Revised prompt:" in edited.text

        await mention(imagine, "now add a second kite", result.ts, "1700009000.000200")
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 3)
        assert bodies[2]["previous_response_id"] == "resp_2"  # the latest version
        assert results(imagine)[2].thread_ts == result.ts

        record = await imagine.services.store.history.record(await job_of(imagine, 2))
        assert record is not None and record.source == "edit"
        assert record.parent_id == await job_of(imagine, 1)
        usage = await imagine.command("usage")  # history shows edits apart
        assert "(2 edits)" in usage.body["text"]
        home = await imagine.services.store.reports.recent("T1", "U1")
        assert [(item.source, item.parent_id) for item in home][0] == ("edit", record.parent_id)


async def test_hash_k_picks_the_image(start_imagine, openai_mock) -> None:
    bodies = numbered_responses(openai_mock)
    async with start_imagine() as imagine:
        result = await first_result(imagine, "--n 2 a red kite")
        await mention(imagine, "#2 make it green", result.ts, "1700009000.000100")
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 2)
        first_two = {bodies[0].get("previous_response_id"), bodies[1].get("previous_response_id")}
        assert first_two == {None}
        await job_of(imagine, 1)  # the edit is recorded
        turn = await imagine.services.threads.store.latest("T1", "C1", result.ts)
        assert turn is not None and turn.source == "edit"
        parent = await imagine.services.threads.get(turn.parent_id or "")
        assert parent is not None
        assert bodies[2]["previous_response_id"] == parent.images[1].response_id
        assert "edited image #2:" in results(imagine)[1].text


async def test_bad_refine_input_is_answered_before_openai(start_imagine, openai_mock) -> None:
    bodies = numbered_responses(openai_mock)
    async with start_imagine(prompt_max_chars=50) as imagine:
        result = await first_result(imagine, "--n 2 a kite")
        cases = [
            ("#2 make it green", "1700000000.000001", messages.REFINE_NO_RESULT),
            ("", result.ts, messages.EDIT_EMPTY),
            ("#2", result.ts, messages.EDIT_EMPTY),
            ("x" * 51, result.ts, messages.edit_too_long(51, 50)),
            ("#3 make it green", result.ts, messages.no_such_image(3, 2)),
            ("--n 99 make it green", result.ts, messages.n_invalid("99", 5)),
        ]
        for index, (text, thread, _) in enumerate(cases):
            await mention(imagine, text, thread, f"1700009100.{index:06d}")
        await imagine.slack.wait_for(lambda: len(imagine.slack.ephemerals) == len(cases))
        by_thread = [(e["thread_ts"], e["text"]) for e in imagine.slack.ephemerals]
        assert sorted(by_thread) == sorted((thread, text) for _, thread, text in cases)
        assert "Your instruction is 51 characters; the limit is 50." in messages.edit_too_long(
            51, 50
        )
        assert len(bodies) == 2  # only the first result (2 images) reached OpenAI


async def test_edit_button_opens_a_modal_and_the_edit_goes_to_the_thread(
    start_imagine, openai_mock
) -> None:
    bodies = numbered_responses(openai_mock)
    async with start_imagine() as imagine:
        result = await first_result(imagine, "--n 2 a kite")
        job_id = await job_of(imagine, 0)
        await imagine.click("imagine_edit", f"{job_id}:2", user="U3")
        await imagine.slack.wait_for(lambda: imagine.slack.views)
        view = imagine.slack.views[-1]
        blocks = {b.get("block_id"): b for b in view["blocks"]}
        assert blocks["prompt"]["element"]["max_length"] == 1000
        assert blocks["image"]["element"]["initial_option"]["value"] == "2"
        assert {"n", "size", "quality"} <= set(blocks)

        empty = await imagine.submit_view(view, select_state({"n": "1"}, "  "), user="U3")
        assert empty.body["errors"] == {"prompt": messages.EDIT_EMPTY}
        values = select_state({"n": "1", "image": "2", "quality": "high"}, "make it green")
        answer = await imagine.submit_view(view, values, user="U3")
        assert answer.status == 200 and not answer.body
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 2)
        edited = results(imagine)[1]
        assert edited.thread_ts == result.ts and edited.text.startswith("<@U3> edited image #2")
        parent = await imagine.services.threads.get(job_id)
        assert parent is not None
        assert bodies[2]["previous_response_id"] == parent.images[1].response_id
        assert bodies[2]["input"] == "make it green"
        assert bodies[2]["tools"][0]["quality"] == "high"


async def test_variations_are_posted_in_the_results_thread(start_imagine, openai_mock) -> None:
    bodies = numbered_responses(openai_mock)
    async with start_imagine() as imagine:
        result = await first_result(imagine)
        await imagine.click("imagine_variations", f"{await job_of(imagine, 0)}:1", user="U3")
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 2)
        variations = results(imagine)[1]
        assert variations.thread_ts == result.ts and len(variations.files) == 3
        assert [b["previous_response_id"] for b in bodies[1:]] == ["resp_1"] * 3
        assert "made 3 variations of image #1" in variations.text


async def test_an_expired_or_unknown_result_says_so(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        await imagine.click("imagine_variations", "feedbeef0000:1")
        await imagine.slack.wait_for(lambda: imagine.slack.responses)
        assert imagine.slack.responses[0]["text"] == messages.edit_expired(30)
        assert openai_mock["responses"].call_count == 0


async def test_a_menu_choice_picks_the_image_and_a_forged_long_edit_is_refused(
    start_imagine, openai_mock
) -> None:
    numbered_responses(openai_mock)
    async with start_imagine(prompt_max_chars=20) as imagine:
        await first_result(imagine, "--n 3 a kite")
        job_id = await job_of(imagine, 0)
        menu = {
            "type": "block_actions",
            "team": {"id": "T1", "domain": "acme"},
            "user": {"id": "U3", "name": "bob", "team_id": "T1"},
            "api_app_id": "A1",
            "trigger_id": "1.2.3",
            "channel": {"id": "C1", "name": "general"},
            "response_url": imagine.slack.new_response_url(),
            "actions": [
                {
                    "type": "static_select",
                    "action_id": "imagine_edit",
                    "block_id": "b",
                    "selected_option": {
                        "text": {"type": "plain_text", "text": "Image 3"},
                        "value": f"{job_id}:3",
                    },
                    "action_ts": "1700000200.1",
                }
            ],
        }
        assert (await imagine.interactive(menu)).status == 200
        await imagine.slack.wait_for(lambda: imagine.slack.views)
        view = imagine.slack.views[-1]
        blocks = {b.get("block_id"): b for b in view["blocks"]}
        assert blocks["image"]["element"]["initial_option"]["value"] == "3"
        assert blocks["prompt"]["element"]["max_length"] == 20
        long = await imagine.submit_view(view, select_state({"n": "1"}, "x" * 21), user="U3")
        assert long.body["errors"] == {"prompt": messages.edit_too_long(21, 20)}
        assert openai_mock["responses"].call_count == 3


async def test_modals_cap_the_prompt_input_at_block_kits_3000(start_imagine, openai_mock) -> None:
    """PROMPT_MAX_CHARS may exceed what a Block Kit text input takes (3000): both modals open
    (the fake Slack refuses a larger max_length, as Slack does)."""
    numbered_responses(openai_mock)
    async with start_imagine(prompt_max_chars=5000) as imagine:
        await imagine.message_shortcut(
            "imagine_slide", {"ts": "1700000900.000100", "text": "x" * 4000}
        )
        await imagine.slack.wait_for(lambda: imagine.slack.views)  # a long message, cut to fit
        imagine.slack.views.clear()
        await imagine.command("")
        await imagine.slack.wait_for(lambda: imagine.slack.views)
        result = await first_result(imagine)
        await imagine.click("imagine_edit", f"{await job_of(imagine, 0)}:1", user="U1")
        await imagine.slack.wait_for(lambda: len(imagine.slack.views) == 2)
        for view in imagine.slack.views:
            lengths = [
                block["element"]["max_length"]
                for block in view["blocks"]
                if block["type"] == "input" and block["element"]["type"] == "plain_text_input"
            ]
            assert lengths == [3000], lengths
        assert result.files


async def test_a_follow_up_sent_while_an_edit_is_made_continues_from_that_edit(
    start_imagine, openai_mock
) -> None:
    """Follow-ups chain even when the person does not wait: the second instruction is told it
    will apply to the version being made, and its request continues that version."""
    gate = asyncio.Event()
    bodies = numbered_responses(openai_mock)
    answer = openai_mock["responses"].side_effect

    sent: list[str] = []

    async def slow_edits(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content)["input"])
        if json.loads(request.content).get("previous_response_id") == "resp_1":
            await gate.wait()  # the first edit takes a while
        return answer(request)

    openai_mock["responses"].mock(side_effect=slow_edits)
    async with start_imagine() as imagine:
        result = await first_result(imagine)
        await mention(imagine, "make the kite green", result.ts, "1700009000.000100")
        await imagine.slack.wait_for(lambda: len(sent) == 2)
        await mention(imagine, "now add a second kite", result.ts, "1700009000.000200")
        told = await imagine.slack.wait_for(
            lambda: [
                e for e in imagine.slack.ephemerals if e["text"] == messages.EDIT_AFTER_CURRENT
            ]
        )
        assert told[0]["user"] == "U1" and len(sent) == 2  # waits; nothing sent yet
        await mention(imagine, "and a sun", result.ts, "1700009000.000300")  # a third, at once
        await imagine.slack.wait_for(
            lambda: (
                len([e for e in imagine.slack.ephemerals if "version being made" in e["text"]]) == 2
            )
        )
        gate.set()
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 4)
        assert bodies[2]["previous_response_id"] == "resp_2"  # the green kite, not the first
        assert bodies[2]["input"] == "now add a second kite"
        assert bodies[3]["previous_response_id"] == "resp_3"  # and the third, the second's
        assert bodies[3]["input"] == "and a sun"
        # every place in line is given back once its job has ended
        await imagine.slack.wait_for(lambda: not imagine.services.threads._editing)


async def test_a_reply_while_the_threads_first_result_is_made_waits_and_edits_it(
    start_imagine, openai_mock
) -> None:
    """A mention's result goes to the mention's thread; an instruction sent there before that
    result exists is told so, waits, and continues from it (not a new, unrelated image)."""
    gate = asyncio.Event()
    bodies = numbered_responses(openai_mock)
    answer = openai_mock["responses"].side_effect

    async def slow_first(request: httpx.Request) -> httpx.Response:
        if not bodies:
            await gate.wait()
        return answer(request)

    openai_mock["responses"].mock(side_effect=slow_first)
    async with start_imagine() as imagine:
        await mention(imagine, "a red kite", None, "1700009100.000100")
        await imagine.slack.wait_for(lambda: imagine.services.jobs.running == 1)
        await mention(imagine, "make it green", "1700009100.000100", "1700009100.000200")
        told = await imagine.slack.wait_for(
            lambda: [
                e for e in imagine.slack.ephemerals if e["text"] == messages.EDIT_AFTER_CURRENT
            ]
        )
        assert told[0]["thread_ts"] == "1700009100.000100" and not bodies  # nothing sent yet
        gate.set()
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 2)
        assert [b["input"] for b in bodies] == ["a red kite", "make it green"]
        assert bodies[1]["previous_response_id"] == "resp_1"
        assert {m.thread_ts for m in results(imagine)} == {"1700009100.000100"}
        await imagine.slack.wait_for(lambda: not imagine.services.threads._editing)


async def test_a_reply_waiting_for_a_first_result_that_fails_is_told_nothing_was_made(
    start_imagine, openai_mock
) -> None:
    gate = asyncio.Event()
    sent: list[dict[str, Any]] = []

    async def refused(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        await gate.wait()
        error = {"message": "blocked", "type": "image_generation_user_error", "param": None}
        return httpx.Response(400, json={"error": error | {"code": "moderation_blocked"}})

    openai_mock["responses"].mock(side_effect=refused)
    async with start_imagine() as imagine:
        await mention(imagine, "something refused", None, "1700009200.000100")
        await imagine.slack.wait_for(lambda: len(sent) == 1)
        await mention(imagine, "#1 make it green", "1700009200.000100", "1700009200.000200")
        await imagine.slack.wait_for(
            lambda: any(e["text"] == messages.EDIT_AFTER_CURRENT for e in imagine.slack.ephemerals)
        )
        gate.set()
        await imagine.slack.wait_for(
            lambda: any(
                e["text"] == messages.NOTHING_MADE_TO_EDIT for e in imagine.slack.ephemerals
            )
        )
        await imagine.slack.wait_for(lambda: imagine.services.jobs.running == 0)
        assert len(sent) == 1 and not results(imagine)  # the instruction made no request


async def test_a_reply_also_sent_to_the_channel_refines_like_any_reply(
    start_imagine, openai_mock
) -> None:
    """ "Also send to #channel" makes the mention a ``thread_broadcast``: still a person's
    instruction in the result's thread."""
    bodies = numbered_responses(openai_mock)
    async with start_imagine() as imagine:
        result = await first_result(imagine)
        event = app_mention_event(
            "<@UBOT> make the kite green", ts="1700009300.000100", thread_ts=result.ts
        )
        event["subtype"] = "thread_broadcast"
        assert (await imagine.event(event, event_id="EvBroadcast")).status == 200
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 2)
        assert bodies[1]["previous_response_id"] == "resp_1"
        assert bodies[1]["input"] == "make the kite green"
