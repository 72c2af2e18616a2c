"""Regenerate on results that started from images (issue #8: "Regenerate keeps working"): an
edit's Regenerate makes the same edit of the same image again, a request with people's images
fetches them again; when the image it started from is no longer kept, the clicker is told so.
An edit or a request with people's images that a restart cut short resumes from the same
images."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

from bot import messages
from bot.job_payload import job_from, needs_inputs, payload_of
from bot.jobs import Destination, Job
from bot.resume import resume_orphans
from bot.store.quota import utc_now
from tests.fakes import make_png
from tests.harness import Imagine
from tests.test_input_images import MUG, data_url, input_images, mention_with_png
from tests.test_refine import first_result, mention, numbered_responses, results
from tests.test_shortcuts_and_threads import as_list


def regenerate_keys(imagine: Imagine) -> list[str]:
    """The values of the Regenerate buttons posted so far, in order."""
    return [
        element["value"]
        for message in imagine.slack.messages
        if message.blocks and not message.files
        for block in as_list(message.blocks)
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == "imagine_regenerate"
    ]


async def test_an_edits_regenerate_makes_the_same_edit_of_the_same_image(
    start_imagine, openai_mock
) -> None:
    bodies = numbered_responses(openai_mock)
    async with start_imagine() as imagine:
        result = await first_result(imagine)
        await mention(imagine, "make the kite green", result.ts, "1700009000.000100")
        await imagine.slack.wait_for(lambda: len(regenerate_keys(imagine)) == 2)
        answer = await imagine.click("imagine_regenerate", regenerate_keys(imagine)[1], user="U3")
        assert answer.status == 200
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 3)
        again = results(imagine)[2]
        assert bodies[2]["previous_response_id"] == "resp_1"  # the image the edit started from
        assert bodies[2]["input"] == "make the kite green"
        assert again.thread_ts == result.ts
        assert again.text.startswith("<@U3> edited image #1")
        turn = await imagine.services.threads.store.latest("T1", "C1", result.ts)
        assert turn is not None and turn.source == "edit"


async def test_regenerate_with_peoples_images_fetches_them_again(
    start_imagine, openai_mock
) -> None:
    bodies = numbered_responses(openai_mock)
    png = make_png(24, 24)
    async with start_imagine() as imagine:
        item = await mention_with_png(imagine, png)
        await imagine.slack.wait_for(lambda: regenerate_keys(imagine))
        await imagine.click("imagine_regenerate", regenerate_keys(imagine)[0], user="U3")
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 2)
        assert input_images(bodies[1]) == [data_url(png)]
        assert MUG in json.dumps(bodies[1]["input"])
        assert imagine.slack.downloads == [(item["id"], True), (item["id"], True)]
        assert results(imagine)[1].text.startswith("<@U3> regenerated:")


async def test_regenerate_of_an_edit_whose_image_is_no_longer_kept(
    start_imagine, openai_mock
) -> None:
    numbered_responses(openai_mock)
    async with start_imagine() as imagine:
        result = await first_result(imagine)
        await mention(imagine, "make the kite green", result.ts, "1700009000.000100")
        await imagine.slack.wait_for(lambda: len(regenerate_keys(imagine)) == 2)
        later = utc_now() + timedelta(
            days=imagine.services.settings.conversation_retention_days + 1
        )
        assert await imagine.services.threads.store.expire(now=later) == 2
        await imagine.click("imagine_regenerate", regenerate_keys(imagine)[1], user="U1")
        await imagine.slack.wait_for(lambda: imagine.slack.responses)
        expired = messages.edit_expired(imagine.services.settings.conversation_retention_days)
        assert imagine.slack.responses[-1]["text"] == expired
        assert openai_mock["responses"].call_count == 2


async def test_an_interrupted_edit_resumes_from_its_image(start_imagine, openai_mock) -> None:
    """An edit left in the journal by a process that is gone runs again, continuing the same
    image (its inputs are made again from the parent's turn)."""
    bodies = numbered_responses(openai_mock)
    async with start_imagine() as imagine:
        result = await first_result(imagine)
        parent = await imagine.services.threads.store.latest("T1", "C1", result.ts)
        assert parent is not None
        request = parent.image_request()
        assert request is not None
        edit = Job(
            request=dataclasses.replace(request, prompt="make it teal", user_prompt="make it teal"),
            destination=Destination(
                team_id="T1", channel_id="C1", user_id="U1", thread_ts=result.ts
            ),
            source="edit",
            parent_id=parent.job_id,
            parent_image=1,
        )
        payload, resumable = payload_of(edit)
        assert resumable and needs_inputs(job_from(payload))  # type: ignore[arg-type]
        journal = imagine.services.store.journal
        entry = journal.entry(edit.id, team_id="T1", user_id="U1", payload=payload, resumable=True)
        entry["instance_id"] = "a-process-that-is-gone"
        await journal.accept(entry)
        assert await resume_orphans(imagine.services) == 1
        await imagine.slack.wait_for(lambda: len(results(imagine)) == 2)
        assert bodies[1]["previous_response_id"] == "resp_1"
        assert bodies[1]["input"] == "make it teal"
        assert results(imagine)[1].thread_ts == result.ts


async def test_an_interrupted_edit_whose_image_is_gone_is_told_once(
    start_imagine, openai_mock
) -> None:
    """The image it continued is no longer kept: it cannot resume, its owner gets the notice,
    and it leaves the journal (it is not claimed and told again at the next start)."""
    numbered_responses(openai_mock)
    async with start_imagine() as imagine:
        result = await first_result(imagine)
        parent = await imagine.services.threads.store.latest("T1", "C1", result.ts)
        assert parent is not None and parent.image_request() is not None
        edit = Job(
            request=parent.image_request(),  # type: ignore[arg-type]
            destination=Destination(
                team_id="T1", channel_id="C1", user_id="U1", thread_ts=result.ts
            ),
            source="edit",
            parent_id=parent.job_id,
            parent_image=1,
        )
        journal = imagine.services.store.journal
        entry = journal.entry(
            edit.id, team_id="T1", user_id="U1", payload=payload_of(edit)[0], resumable=True
        )
        entry["instance_id"] = "a-process-that-is-gone"
        await journal.accept(entry)
        later = utc_now() + timedelta(
            days=imagine.services.settings.conversation_retention_days + 1
        )
        await imagine.services.threads.store.expire(now=later)
        assert await resume_orphans(imagine.services) == 0
        await imagine.slack.wait_for(
            lambda: [e for e in imagine.slack.ephemerals if "Imagine restarted" in e["text"]]
        )
        assert await journal.state_of(edit.id) is None
        assert openai_mock["responses"].call_count == 1
