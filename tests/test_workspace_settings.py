"""Per-workspace settings through the real app (issue #11): who may open and submit the Settings
modal, the saved values applied to the next request, the allowed channels, the change history
on the Home tab."""

from __future__ import annotations

import json
from typing import Any

from bot.delivery import REGENERATE_ACTION_ID
from tests.harness import Imagine, modal_defaults
from tests.workspace_support import (
    command,
    open_home,
    press_settings,
    settings_values,
    submit_settings,
)

SOURCE = {"ts": "1700000000.000100", "text": "spring launch badge"}


def home_texts(imagine: Imagine, user: str) -> list[str]:
    view = imagine.slack.home_views[user]
    texts = []
    for block in view["blocks"]:
        texts.append((block.get("text") or {}).get("text", ""))
        texts += [e.get("text", "") for e in block.get("elements", []) if isinstance(e, dict)]
    return texts


def settings_button(imagine: Imagine, user: str) -> dict[str, Any] | None:
    for block in imagine.slack.home_views[user]["blocks"]:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == "imagine_open_settings":
            return accessory
    return None


async def save(imagine: Imagine, user: str = "UADMIN", **values: Any) -> None:
    answer = await submit_settings(imagine, settings_values(**values), user=user)
    assert (answer.status, answer.body) == (200, None), answer.body


async def test_workspace_admins_see_the_settings_button_and_others_do_not(start_imagine) -> None:
    async with start_imagine(admin_user_ids="UOPS") as imagine:
        imagine.slack.users.add("UADMIN", is_admin=True)
        imagine.slack.users.add("UOWNER", is_owner=True)
        imagine.slack.users.add("UGUEST", is_admin=True, is_restricted=True)
        for user in ("UADMIN", "UOWNER", "UOPS", "UGUEST", "U1"):
            await open_home(imagine, user=user)
        await imagine.slack.wait_for(lambda: len(imagine.slack.home_views) == 5)
        for admin in ("UADMIN", "UOWNER", "UOPS"):
            button = settings_button(imagine, admin)
            assert button is not None and button["text"]["text"] == "Settings"
            assert "Settings (admins only)" in home_texts(imagine, admin)
        for member in ("UGUEST", "U1"):
            assert settings_button(imagine, member) is None
            assert "Workspace (admins only)" not in home_texts(imagine, member)
        asked = {c.params["user"] for c in imagine.slack.calls_to("users.info")}
        assert asked == {"UADMIN", "UOWNER", "UGUEST", "U1"}  # ADMIN_USER_IDS need no lookup


async def test_the_settings_button_opens_the_modal_for_admins_only(start_imagine) -> None:
    async with start_imagine(user_daily_image_limit=10) as imagine:
        imagine.slack.users.add("UADMIN", is_primary_owner=True)
        await press_settings(imagine, user="UADMIN")
        await imagine.slack.wait_for(lambda: imagine.slack.views)
        view = imagine.slack.views[-1]
        assert view["callback_id"] == "imagine_settings"
        limit = next(b for b in view["blocks"] if b.get("block_id") == "user_daily_image_limit")
        assert limit["element"]["initial_value"] == "10"  # the environment's, until changed

        await press_settings(imagine, user="U1")
        await imagine.slack.wait_for(lambda: len(imagine.slack.views) == 2)
        refused = imagine.slack.views[-1]
        assert "callback_id" not in refused or refused["callback_id"] != "imagine_settings"
        assert "Only this workspace's admins" in json.dumps(refused)


async def test_a_non_admin_cannot_submit_settings(start_imagine) -> None:
    async with start_imagine() as imagine:
        answer = await submit_settings(imagine, settings_values(limit="0"), user="U1")
        assert answer.status == 200
        assert answer.body["response_action"] == "errors"
        assert "Only this workspace's admins" in answer.body["errors"]["brand_guide"]
        ack = await command(imagine, "a red fox")
        assert "Generating 1 image" in ack.body["text"]  # the limit of 0 was not saved


async def test_invalid_values_are_refused_under_their_fields(start_imagine) -> None:
    async with start_imagine(admin_user_ids="UADMIN") as imagine:
        values = settings_values(custom_size="1000x1000", limit="-1", budget="abc")
        answer = await submit_settings(imagine, values, user="UADMIN")
        assert answer.body["response_action"] == "errors"
        assert set(answer.body["errors"]) == {
            "custom_size",
            "user_daily_image_limit",
            "monthly_budget_usd",
        }
        await open_home(imagine, user="UADMIN")
        await imagine.slack.wait_for(lambda: "UADMIN" in imagine.slack.home_views)
        assert any("No changes yet" in t for t in home_texts(imagine, "UADMIN"))


async def test_the_brand_guide_reaches_the_prompt_of_the_next_request(
    start_imagine, openai_mock
) -> None:
    async with start_imagine(admin_user_ids="UADMIN", brand_guide="Old guide") as imagine:
        await save(imagine, brand_guide="Deep navy, coral accents, flat vector")
        await imagine.message_shortcut("imagine_brand", SOURCE)
        await imagine.slack.wait_for(lambda: imagine.slack.views)
        view = imagine.slack.views[-1]
        assert view["callback_id"] == "imagine_modal"
        await imagine.submit_view(view, modal_defaults(view))
        await imagine.slack.wait_for(lambda: openai_mock["responses"].calls)
        body = json.loads(openai_mock["responses"].calls[0].request.content)
        assert "Brand guide: Deep navy, coral accents, flat vector" in body["input"]
        assert "Old guide" not in body["input"]


async def test_default_size_and_quality_apply_to_the_next_command(
    start_imagine, openai_mock
) -> None:
    async with start_imagine(admin_user_ids="UADMIN") as imagine:
        await command(imagine, "a fox")
        await save(imagine, size="auto", custom_size="1536x864", quality="low")
        await command(imagine, "a fox")
        await imagine.slack.wait_for(lambda: len(openai_mock["responses"].calls) == 2)
        tools = [
            json.loads(call.request.content)["tools"][0] for call in openai_mock["responses"].calls
        ]
        assert [(t["size"], t["quality"]) for t in tools] == [
            ("auto", "auto"),
            ("1536x864", "low"),
        ]


async def test_daily_limit_and_budget_apply_to_the_next_request(start_imagine, openai_mock) -> None:
    async with start_imagine(admin_user_ids="UADMIN", user_daily_image_limit=50) as imagine:
        await save(imagine, limit="1")
        assert "Generating 1 image" in (await command(imagine, "one")).body["text"]
        refused = (await command(imagine, "two")).body["text"]
        assert "You've used 1 of your 1 image for today" in refused

        await save(imagine, limit="", budget="0")  # no daily limit; a budget of $0
        refused = (await command(imagine, "three")).body["text"]
        assert "of its $0.00 monthly image budget" in refused
        await save(imagine, limit="", budget="")
        assert "Generating" in (await command(imagine, "four")).body["text"]
        await imagine.slack.wait_for(lambda: len(openai_mock["responses"].calls) == 2)


async def test_requests_outside_the_allowed_channels_are_refused(
    start_imagine, openai_mock
) -> None:
    async with start_imagine(admin_user_ids="UADMIN") as imagine:
        await save(imagine, channels=["C1", "C7"])
        refused = (await command(imagine, "a fox", channel="C2")).body["text"]
        assert refused == (
            ":no_entry: Imagine isn't enabled in this channel. You can use it in <#C1> and "
            "<#C7>, or in a direct message with Imagine."
        )
        refused_modal = (await command(imagine, "", channel="C2")).body["text"]
        assert refused_modal == refused and not imagine.slack.views
        assert "Generating" in (await command(imagine, "a fox", channel="C1")).body["text"]
        assert "Generating" in (await command(imagine, "a fox", channel="D42")).body["text"]
        assert "Your Imagine usage" in (await command(imagine, "usage", channel="C2")).body["text"]

        await imagine.message_shortcut("imagine_slide", SOURCE, channel="C2")
        await imagine.slack.wait_for(lambda: imagine.slack.responses)
        assert imagine.slack.responses[-1]["text"] == refused
        assert not imagine.slack.views

        mention = {
            "type": "app_mention",
            "user": "U1",
            "text": "<@UBOT> a fox",
            "ts": "1700000000.000300",
            "channel": "C2",
            "event_ts": "1700000000.000300",
        }
        await imagine.event(mention, event_id="EvMention1")
        await imagine.slack.wait_for(lambda: imagine.slack.ephemerals)
        assert imagine.slack.ephemerals[-1]["text"] == refused
        assert imagine.slack.ephemerals[-1]["thread_ts"] == "1700000000.000300"
        await imagine.slack.wait_for(lambda: len(openai_mock["responses"].calls) == 2)
        assert len(openai_mock["responses"].calls) == 2  # C1 and the DM only
        registry = imagine.services.metrics.registry
        refusals = {
            source: registry.get_sample_value(
                "imagine_requests_total", {"source": source, "outcome": "refused_channel"}
            )
            for source in ("command", "shortcut:slide", "mention")
        }
        assert refusals == {"command": 2, "shortcut:slide": 1, "mention": 1}


async def test_regenerate_is_refused_once_its_channel_is_no_longer_allowed(
    start_imagine, openai_mock
) -> None:
    async with start_imagine(admin_user_ids="UADMIN") as imagine:
        await command(imagine, "a fox", channel="C2")
        await imagine.slack.wait_for(lambda: any(m.blocks for m in imagine.slack.messages))
        key = next(
            element["value"]
            for message in imagine.slack.messages
            for block in message.blocks or []
            for element in block.get("elements", [])
            if element.get("action_id") == REGENERATE_ACTION_ID
        )
        await save(imagine, channels=["C1"])
        await imagine.click(REGENERATE_ACTION_ID, key, channel="C2")
        await imagine.slack.wait_for(lambda: imagine.slack.responses)
        assert "isn't enabled in this channel" in imagine.slack.responses[-1]["text"]
        assert len(openai_mock["responses"].calls) == 1


async def test_changes_are_recorded_and_shown_on_the_home_tab(start_imagine) -> None:
    async with start_imagine() as imagine:
        imagine.slack.users.add("UADMIN", is_admin=True)
        await save(imagine, limit="20")
        await save(imagine, limit="20", budget="150", channels=["C9"], brand_guide="Teal <b>")
        await save(imagine, limit="20", budget="150", channels=["C9"], brand_guide="Teal <b>")
        await open_home(imagine, user="UADMIN")
        await imagine.slack.wait_for(
            lambda: (
                "UADMIN" in imagine.slack.home_views
                and any("$150" in t for t in home_texts(imagine, "UADMIN"))
            )
        )
        texts = "\n".join(home_texts(imagine, "UADMIN"))
        assert "• Images per user per day: 20 images" in texts
        assert "• Monthly budget (USD): $150.00" in texts
        assert "• Channels Imagine may be used in: <#C9>" in texts
        assert "• Brand guide: “Teal &lt;b&gt;”" in texts
        [recent] = [t for t in home_texts(imagine, "UADMIN") if t.startswith("*Recent changes*")]
        lines = recent.splitlines()[1:]
        assert len(lines) == 2  # the third save changed nothing
        assert (
            "<@UADMIN> " in lines[0]
            and "set monthly budget (usd) from no budget to $150.00" in lines[0]
        )
        assert "set channels imagine may be used in from every channel to <#C9>" in lines[0]
        assert "changed the brand guide to “Teal &lt;b&gt;”" in lines[0]
        assert "set images per user per day from no limit to 20 images" in lines[1]
        assert lines[0].startswith("<!date^")


async def test_an_org_wide_install_is_set_up_by_org_admins_for_every_workspace(
    start_imagine,
) -> None:
    async with start_imagine() as imagine:
        imagine.slack.users.add("UORG", team_id="T5", enterprise={"is_owner": True})
        imagine.slack.users.add("UWS", team_id="T5", is_admin=True, enterprise={})
        values = settings_values(limit="0")
        refused = await submit_settings(imagine, values, team="T5", user="UWS", enterprise="E1")
        assert "Only this workspace's admins" in refused.body["errors"]["brand_guide"]

        saved = await submit_settings(imagine, values, team="T5", user="UORG", enterprise="E1")
        assert saved.body is None
        stored = imagine.services.store.workspace_settings
        assert await stored.overrides(["enterprise:E1", "team:T5"]) == [
            {"user_daily_image_limit": 0},  # only what changed
            {},
        ]
        for team in ("T5", "T6"):  # every workspace of the organisation
            ack = await command(imagine, "a fox", team=team, user="U9", enterprise="E1")
            assert "You've used 0 of your 0 images for today" in ack.body["text"]
        ack = await command(imagine, "a fox", team="T7", user="U9")  # not in the organisation
        assert "Generating" in ack.body["text"]
