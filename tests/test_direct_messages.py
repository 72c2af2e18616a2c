"""DMs with the app (issue #8): a plain message is a prompt, a reply in a result's thread
refines it, edits/deletions/bot messages never trigger anything; one post is one generation;
every subscribed event has a listener."""

from __future__ import annotations

import asyncio
import json

import yaml
from slack_bolt.request.async_request import AsyncBoltRequest

from bot import messages
from bot.dedup import RecentIds
from bot.server import BOLT_APP_KEY
from tests.fakes import make_png
from tests.fakes.slack_events import (
    app_mention_event,
    bot_message_event,
    event_callback,
    message_changed_event,
    message_deleted_event,
    message_event,
)
from tests.harness import ROOT, Imagine, sign
from tests.test_refine import numbered_responses, results
from tests.test_threads import eventually


async def dm(imagine: Imagine, text: str, ts: str, **extra: object) -> None:
    answer = await imagine.event(message_event(text, ts=ts, **extra), event_id=f"Ev{ts}")
    assert answer.status == 200


async def test_a_dm_is_a_prompt_and_a_reply_in_its_thread_refines_it(
    start_imagine, openai_mock
) -> None:
    bodies = numbered_responses(openai_mock)
    async with start_imagine() as imagine:
        await dm(imagine, "a lighthouse at dawn", "1700000500.000100")
        await imagine.slack.wait_for(lambda: results(imagine))
        [result] = results(imagine)
        assert (result.channel, result.thread_ts) == ("D1", None)
        assert bodies[0]["input"] == "a lighthouse at dawn"
        await dm(imagine, "make it night", "1700000600.000100", thread_ts=result.ts)
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 2)
        refined = results(imagine)[1]
        assert (refined.channel, refined.thread_ts) == ("D1", result.ts)
        assert bodies[1]["previous_response_id"] == "resp_1"
        history = await imagine.services.store.reports.recent("T1", "U1")
        assert [item.source for item in history] == ["edit", "dm"]


async def test_a_reply_in_the_thread_of_a_results_actions_message_refines_it(
    start_imagine, openai_mock
) -> None:
    """A top-level result is two messages, the images and under them its actions (Regenerate,
    Edit…, Variations): a reply in either one's thread refines the result."""
    bodies = numbered_responses(openai_mock)
    async with start_imagine() as imagine:
        await dm(imagine, "a lighthouse at dawn", "1700000700.000100")
        actions = await imagine.slack.wait_for(
            lambda: [m for m in imagine.slack.messages if m.blocks and not m.files]
        )
        assert actions[0].thread_ts is None  # at the DM's top level, under the images
        await eventually(lambda: imagine.services.threads.store.latest("T1", "D1", actions[0].ts))
        await dm(imagine, "make it night", "1700000800.000100", thread_ts=actions[0].ts)
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 2)
        refined = results(imagine)[1]
        assert (refined.channel, refined.thread_ts) == ("D1", actions[0].ts)
        assert bodies[1]["previous_response_id"] == "resp_1"
        await dm(imagine, "add a moon", "1700000900.000100", thread_ts=actions[0].ts)
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 3)
        assert bodies[2]["previous_response_id"] == "resp_2"  # follow-ups chain there too
        assert not [e for e in imagine.slack.ephemerals if e["text"] == messages.REFINE_NO_RESULT]


async def test_dm_noise_never_triggers_anything(start_imagine, openai_mock) -> None:
    async with start_imagine() as imagine:
        for index, event in enumerate(
            [
                message_changed_event("a fox", ts="1.000001", edited_at="1.000002"),
                message_deleted_event(ts="1.000001", deleted_at="1.000003"),
                bot_message_event("a fox", ts="1.000004"),
                {**message_event("a fox", ts="1.000005"), "user": "UBOT"},
                {**message_event("a fox", ts="1.000006"), "subtype": "channel_join"},
                message_event("a fox without a mention", ts="1.000007", channel="C1"),
                # another app's mention (no loops between apps), and an edited mention
                {**app_mention_event("<@UBOT> a fox", ts="1.000008"), "bot_id": "B9"},
                {
                    **app_mention_event("<@UBOT> a fox", ts="1.000009"),
                    "edited": {"user": "U1", "ts": "1.000010"},
                },
            ]
        ):
            assert (await imagine.event(event, event_id=f"EvNoise{index}")).status == 200
        await asyncio.sleep(0.3)
        assert openai_mock["responses"].call_count == 0
        assert not imagine.slack.ephemerals and not imagine.slack.messages


async def test_a_dm_reply_in_a_thread_without_a_result_is_told_where_to_reply(
    start_imagine, openai_mock
) -> None:
    async with start_imagine() as imagine:
        await dm(imagine, "make it blue", "1700000700.000100", thread_ts="1700000001.000100")
        await imagine.slack.wait_for(lambda: imagine.slack.ephemerals)
        [answer] = imagine.slack.ephemerals
        assert answer["text"] == messages.REFINE_NO_RESULT and answer["channel"] == "D1"
        assert openai_mock["responses"].call_count == 0


async def test_one_post_arriving_as_mention_and_message_is_one_generation(
    start_imagine, openai_mock
) -> None:
    async with start_imagine() as imagine:
        png = imagine.slack.add_user_file(
            "logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32, channel="C1", ts="1700000800.000100"
        )
        mention = app_mention_event("<@UBOT> a mug", ts="1700000800.000100", files=[png])
        message = message_event("<@UBOT> a mug", ts="1700000800.000100", channel="C1", files=[png])
        await imagine.event(message, event_id="EvA")
        await imagine.event(mention, event_id="EvB")
        await imagine.event(mention, event_id="EvB", retry_num=1)
        await imagine.slack.wait_for(lambda: results(imagine))
        await asyncio.sleep(0.3)
        assert len(results(imagine)) == 1 and openai_mock["responses"].call_count == 1


async def test_the_copies_of_a_post_reaching_other_instances_are_one_generation(
    start_imagine, openai_mock
) -> None:
    """Behind a load balancer the mention and the message (and a retry) may reach different
    instances: the one to record the post first in the shared database acts on it. Another
    instance is played by forgetting this one's memory of recent events."""
    async with start_imagine() as imagine:
        mention = app_mention_event("<@UBOT> a mug", ts="1700000810.000100")
        message = message_event("<@UBOT> a mug", ts="1700000810.000100", channel="C1")
        await imagine.event(mention, event_id="EvC")
        for copy, event_id in ((message, "EvD"), (mention, "EvC")):
            imagine.services.recent_events = RecentIds()  # as another instance would
            imagine.services.recent_posts = RecentIds()
            assert (await imagine.event(copy, event_id=event_id)).status == 200
        await imagine.slack.wait_for(lambda: results(imagine))
        await asyncio.sleep(0.3)
        assert len(results(imagine)) == 1 and openai_mock["responses"].call_count == 1


async def test_every_subscribed_event_has_a_listener(start_imagine) -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    samples = {
        "app_mention": app_mention_event("<@UBOT>", ts="1.000001"),
        "app_home_opened": {"type": "app_home_opened", "user": "U1", "tab": "messages"},
        "message.im": bot_message_event("hi", ts="1.000002"),
        "app_uninstalled": {"type": "app_uninstalled"},
        "tokens_revoked": {"type": "tokens_revoked", "tokens": {"oauth": ["U7"], "bot": []}},
    }
    async with start_imagine() as imagine:
        _, executed = imagine.slack.workflow.execution({"prompt": "a fox"})
        samples["function_executed"] = executed["event"]
        bolt = imagine.http.server.app[BOLT_APP_KEY]
        for name in manifest["settings"]["event_subscriptions"]["bot_events"]:
            body = json.dumps(event_callback(samples[name]))
            headers = {"content-type": "application/json", **sign(body)}
            response = await bolt.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
            assert response.status == 200, name  # Bolt answers 404 when nothing listens


async def test_an_image_sent_without_words_asks_what_to_do_with_it(
    start_imagine, openai_mock
) -> None:
    async with start_imagine() as imagine:
        photo = imagine.slack.add_user_file(
            "photo.png", make_png(8, 8), channel="D1", ts="1700000900.000100"
        )
        await dm(imagine, "", "1700000900.000100", files=[photo])
        logo = imagine.slack.add_user_file(
            "logo.png", make_png(8, 8), channel="C1", ts="1700000901.000100"
        )
        mention = app_mention_event("<@UBOT>", ts="1700000901.000100", files=[logo])
        assert (await imagine.event(mention)).status == 200
        await imagine.slack.wait_for(lambda: len(imagine.slack.ephemerals) == 2)
        texts = {e["channel"]: e["text"] for e in imagine.slack.ephemerals}
        assert texts == {
            "D1": messages.images_without_words(True),
            "C1": messages.images_without_words(False),
        }
        assert "`make this photo a watercolour`" in texts["D1"]
        assert openai_mock["responses"].call_count == 0
