"""The fake Slack's files: asynchronous shares in files.info, url_private_download with and
without a valid token, people's files in file_share events."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes import FakeSlack, make_png
from tests.fakes.slack_events import app_mention_event, message_event

TOKEN = "xoxb-test"


def client(slack: FakeSlack, token: str = TOKEN) -> AsyncWebClient:
    return AsyncWebClient(base_url=slack.base_url, token=token)


async def test_shares_appear_in_files_info_only_after_the_delay() -> None:
    async with FakeSlack(TOKEN, share_delay_s=0.3) as slack:
        web = client(slack)
        done = await web.files_upload_v2(
            file_uploads=[{"content": make_png(8, 8), "filename": "a.png", "title": "a"}],
            channel="C1",
            initial_comment="hi",
        )
        file_id = done["files"][0]["id"]
        early = await web.files_info(file=file_id)
        assert early["file"]["shares"] == {} and early["file"]["channels"] == []
        await asyncio.sleep(0.35)
        late = await web.files_info(file=file_id)
        [message] = slack.messages
        assert late["file"]["shares"]["public"]["C1"][0]["ts"] == message.ts
        assert "thread_ts" not in late["file"]["shares"]["public"]["C1"][0]
        assert late["file"]["channels"] == ["C1"] and late["file"]["mimetype"] == "image/png"


async def test_a_thread_share_in_a_dm_is_private_and_names_its_thread() -> None:
    async with FakeSlack(TOKEN, share_delay_s=0) as slack:
        web = client(slack)
        done = await web.files_upload_v2(
            content=make_png(8, 8), filename="b.png", channel="D1", thread_ts="1700000000.000100"
        )
        info = await web.files_info(file=done["files"][0]["id"])
        [share] = info["file"]["shares"]["private"]["D1"]
        assert share["thread_ts"] == "1700000000.000100" and share["ts"] == slack.messages[0].ts
        assert info["file"]["ims"] == ["D1"]
        with pytest.raises(SlackApiError) as missing:
            await web.files_info(file="FNOPE")
        assert missing.value.response["error"] == "file_not_found"


async def test_url_private_download_needs_the_bot_token_else_a_login_page() -> None:
    png = make_png(16, 16)
    async with FakeSlack(TOKEN) as slack, aiohttp.ClientSession() as http:
        item = slack.add_user_file("logo.png", png, channel="C1", ts="1700000000.000300")
        assert item["mimetype"] == "image/png" and item["size"] == len(png)
        url = item["url_private_download"]
        async with http.get(url, headers={"Authorization": f"Bearer {TOKEN}"}) as ok:
            assert ok.status == 200 and ok.content_type == "image/png"
            assert await ok.read() == png
        for headers in ({}, {"Authorization": "Bearer xoxb-wrong"}):
            async with http.get(url, headers=headers) as login:
                assert login.status == 200 and login.content_type == "text/html"
                assert "Sign in" in await login.text()
        async with http.get(item["url_private"], headers={"Authorization": f"Bearer {TOKEN}"}) as r:
            assert await r.read() == png
        assert [authorized for _, authorized in slack.downloads] == [True, False, False, True]


async def test_check_file_info_files_get_their_urls_from_files_info() -> None:
    async with FakeSlack(TOKEN) as slack:
        item = slack.add_user_file("photo.jpg", b"\xff\xd8\xff" + b"0" * 20, check_file_info=True)
        assert item["file_access"] == "check_file_info" and "url_private_download" not in item
        info = await client(slack).files_info(file=item["id"])
        assert info["file"]["mimetype"] == "image/jpeg"
        assert info["file"]["url_private_download"].endswith("/download/photo.jpg")


def test_event_builders_have_the_real_shapes() -> None:
    file_item = {"id": "F1", "name": "logo.png", "mimetype": "image/png"}
    dm = message_event("a fox", ts="1700000000.000100", files=[file_item])
    assert dm["subtype"] == "file_share" and dm["channel_type"] == "im" and dm["files"]
    plain = message_event("a fox", ts="1700000000.000100", channel="C1")
    assert "subtype" not in plain and plain["channel_type"] == "channel"
    mention = app_mention_event("<@UBOT> hi", ts="1.2", files=[file_item])
    assert mention["type"] == "app_mention" and "subtype" not in mention and mention["files"]


async def test_chat_get_permalink_names_the_thread() -> None:
    async with FakeSlack(TOKEN) as slack:
        web = client(slack)
        posted = await web.chat_postMessage(channel="C1", text="x", thread_ts="1700000000.000100")
        link = await web.chat_getPermalink(channel="C1", message_ts=posted["ts"])
        assert link["permalink"].endswith("?thread_ts=1700000000.000100&cid=C1")
