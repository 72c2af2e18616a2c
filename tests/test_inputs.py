"""Slack files as input images (bot/inputs.py): downloads mocked with respx, files.info stubbed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.errors import InputFileError, UserInputError
from bot.inputs import check_input_files, download_input_images, usable_message_images
from tests.fakes import make_png

TOKEN = "xoxb-team-two-token"
FILES = "https://files.slack.test"
PNG = make_png(16, 16)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x02" * 64
LOGIN_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en-US"><head><title>Slack</title></head>'
    b"<body>Sign in to your workspace</body></html>"
)
MB = 1_000_000


def slack_file(name: str, mimetype: str, size: int, filetype: str = "", **extra: Any) -> dict:
    file_id = f"F{abs(hash(name)) % 10**8:08d}"
    return {
        "id": file_id,
        "name": name,
        "title": name,
        "mimetype": mimetype,
        "filetype": filetype or name.rsplit(".", 1)[-1],
        "size": size,
        "mode": "hosted",
        "url_private": f"{FILES}/files-pri/T1-{file_id}/{name}",
        "url_private_download": f"{FILES}/files-pri/T1-{file_id}/download/{name}",
        **extra,
    }


def serve(file: dict, body: bytes, content_type: str, status: int = 200, **headers: str):
    return respx.get(file["url_private_download"]).mock(
        return_value=httpx.Response(
            status, content=body, headers={"content-type": content_type, **headers}
        )
    )


class StubClient(AsyncWebClient):
    """An AsyncWebClient whose files.info answers from ``infos`` (file id -> file, or an error
    code); nothing goes over the network."""

    def __init__(self, token: str | None = TOKEN, infos: dict[str, Any] | None = None) -> None:
        super().__init__(token=token, base_url="http://127.0.0.1:9/api/")
        self.infos = infos or {}
        self.info_calls: list[str] = []

    async def files_info(self, *, file: str, **kwargs: Any) -> Any:  # type: ignore[override]
        self.info_calls.append(file)
        answer = self.infos[file]
        if isinstance(answer, str):
            raise SlackApiError(answer, {"ok": False, "error": answer})
        return {"ok": True, "file": answer}


async def download(files: list[dict], client: AsyncWebClient | None = None, **limits: int):
    return await download_input_images(
        client or StubClient(),
        files,
        max_bytes=limits.get("max_bytes", 20 * MB),
        max_images=limits.get("max_images", 4),
    )


@respx.mock
async def test_png_jpeg_and_webp_download_with_the_clients_token() -> None:
    files = [
        slack_file("logo.png", "image/png", len(PNG)),
        slack_file("photo.jpg", "image/jpeg", len(JPEG)),
        slack_file("art.webp", "image/webp", len(WEBP)),
    ]
    routes = [
        serve(files[0], PNG, "image/png"),
        serve(files[1], JPEG, "image/jpeg"),
        serve(files[2], WEBP, "image/webp"),
    ]
    images = await download(files)
    assert [(i.name, i.mimetype, i.data) for i in images] == [
        ("logo.png", "image/png", PNG),
        ("photo.jpg", "image/jpeg", JPEG),
        ("art.webp", "image/webp", WEBP),
    ]
    for route in routes:
        assert route.calls.last.request.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        (slack_file("logo.svg", "image/svg+xml", 900),
         "logo.svg is an SVG; attach a PNG, JPEG or WebP."),
        (slack_file("brief.pdf", "application/pdf", 90_000),
         "brief.pdf is a PDF; attach a PNG, JPEG or WebP."),
        (slack_file("anim.gif", "image/gif", 9_000),
         "anim.gif is a GIF; attach a PNG, JPEG or WebP."),
        (slack_file("notes.docx", "application/vnd.openxmlformats-officedocument", 9_000),
         "notes.docx is a DOCX file; attach a PNG, JPEG or WebP."),
    ],
)  # fmt: skip
@respx.mock
async def test_files_that_are_not_png_jpeg_or_webp(file, expected) -> None:
    with pytest.raises(InputFileError) as caught:
        await download([slack_file("ok.png", "image/png", 10), file])
    assert caught.value.text == expected
    assert (caught.value.reason, caught.value.file_name) == ("type", file["name"])
    assert isinstance(caught.value, UserInputError)
    assert not respx.calls  # refused before anything was downloaded


@respx.mock
async def test_html_login_page_instead_of_the_file() -> None:
    file = slack_file("logo.png", "image/png", len(PNG))
    serve(file, LOGIN_PAGE, "text/html; charset=utf-8")
    with pytest.raises(InputFileError) as caught:
        await download([file])
    assert caught.value.text == messages.INPUT_LOGIN_PAGE and caught.value.reason == "no_access"
    assert "files:read" in caught.value.text


@respx.mock
async def test_content_type_that_lies_is_caught_by_the_magic_bytes() -> None:
    file = slack_file("logo.png", "image/png", len(PNG))
    serve(file, LOGIN_PAGE, "image/png")
    with pytest.raises(InputFileError) as caught:
        await download([file])
    assert caught.value.reason == "no_access"  # HTML bytes: the sign-in page

    serve(file, b"\x00\x01garbage that is no image", "image/png")
    with pytest.raises(InputFileError) as caught:
        await download([file])
    assert caught.value.reason == "content"
    assert caught.value.text.startswith("logo.png does not contain a PNG, JPEG or WebP image")

    serve(file, PNG, "application/zip")
    with pytest.raises(InputFileError) as caught:
        await download([file])
    assert caught.value.reason == "content"


@respx.mock
async def test_a_jpeg_named_png_is_sent_as_what_its_bytes_are() -> None:
    file = slack_file("photo.png", "image/png", len(JPEG))
    serve(file, JPEG, "image/jpeg")
    [image] = await download([file])
    assert image.mimetype == "image/jpeg"


@respx.mock
async def test_too_big_by_declared_size_before_downloading() -> None:
    file = slack_file("huge.png", "image/png", 25_300_000)
    with pytest.raises(InputFileError) as caught:
        await download([file], max_bytes=20 * MB)
    assert caught.value.text == (
        "huge.png is 25.3 MB; images can be at most 20 MB. Attach a smaller one."
    )
    assert caught.value.reason == "too_big" and not respx.calls


@respx.mock
async def test_too_big_while_streaming_despite_a_small_declared_size() -> None:
    file = slack_file("liar.png", "image/png", 1_000)

    async def chunked():  # no content-length: only counting while streaming catches it
        yield PNG
        for _ in range(10):
            yield b"\x00" * 1_000

    route = respx.get(file["url_private_download"]).mock(
        return_value=httpx.Response(200, content=chunked(), headers={"content-type": "image/png"})
    )
    with pytest.raises(InputFileError) as caught:
        await download([file], max_bytes=2_000)
    assert caught.value.text == (
        "liar.png is larger than 2 KB; images can be at most 2 KB. Attach a smaller one."
    )
    assert "content-length" not in route.calls.last.response.headers
    big_header = slack_file("header.png", "image/png", 1_000)
    serve(big_header, PNG, "image/png", **{"content-length": "9000000"})
    with pytest.raises(InputFileError, match="is 9 MB"):
        await download([big_header], max_bytes=2_000)


@respx.mock
async def test_too_many_images() -> None:
    files = [slack_file(f"{i}.png", "image/png", 10) for i in range(5)]
    with pytest.raises(InputFileError) as caught:
        await download(files, max_images=4)
    assert caught.value.text == (
        "You attached 5 images; I can use at most 4 at a time. Attach fewer and try again."
    )
    assert caught.value.reason == "too_many" and not respx.calls


@respx.mock
async def test_check_file_info_goes_through_files_info() -> None:
    full = slack_file("shared-logo.png", "image/png", len(PNG))
    connect = {"id": full["id"], "mode": "file_access", "file_access": "check_file_info",
               "created": 1700000000, "user": "U2"}  # fmt: skip
    client = StubClient(infos={full["id"]: full})
    serve(full, PNG, "image/png")
    [image] = await download([connect], client)
    assert (
        client.info_calls == [full["id"]] and image.data == PNG and image.name == "shared-logo.png"
    )


@respx.mock
async def test_a_bare_file_id_is_looked_up() -> None:
    """What a refine's fallback needs: the Slack file id of an earlier result is enough."""
    full = slack_file("imagine-1.png", "image/png", len(PNG))
    client = StubClient(infos={full["id"]: full})
    serve(full, PNG, "image/png")
    [image] = await download([{"id": full["id"]}], client)
    assert client.info_calls == [full["id"]] and image.data == PNG


@pytest.mark.parametrize(
    ("error", "reason"), [("missing_scope", "no_access"), ("file_not_found", "unavailable")]
)
async def test_files_info_errors(error, reason) -> None:
    connect = {"id": "F1", "mode": "file_access", "file_access": "check_file_info"}
    with pytest.raises(InputFileError) as caught:
        await download([connect], StubClient(infos={"F1": error}))
    assert caught.value.reason == reason


@respx.mock
async def test_deleted_file_and_network_failure() -> None:
    gone = slack_file("gone.png", "image/png", 100)
    serve(gone, b"", "text/plain", status=404)
    with pytest.raises(InputFileError) as caught:
        await download([gone])
    assert caught.value.reason == "unavailable" and "gone.png" in caught.value.text

    flaky = slack_file("flaky.png", "image/png", 100)
    respx.get(flaky["url_private_download"]).mock(side_effect=httpx.ConnectError("reset"))
    with pytest.raises(InputFileError) as caught:
        await download([flaky])
    assert caught.value.reason == "download_failed"

    tombstone = {**slack_file("old.png", "image/png", 100), "mode": "tombstone"}
    with pytest.raises(InputFileError, match="old.png"):
        await download([tombstone])


async def test_no_token_is_an_admin_problem() -> None:
    with pytest.raises(InputFileError) as caught:
        await download([slack_file("a.png", "image/png", 10)], StubClient(token=None))
    assert caught.value.reason == "no_access"


def test_check_input_files_needs_no_network() -> None:
    ok = slack_file("a.png", "image/png", 10)
    check_input_files([ok, {"id": "F9", "file_access": "check_file_info"}], max_bytes=MB,
                      max_images=4)  # fmt: skip
    for files, reason in [
        ([ok] * 5, "too_many"),
        ([slack_file("logo.svg", "image/svg+xml", 10)], "type"),
        ([slack_file("big.png", "image/png", 2 * MB)], "too_big"),
    ]:
        with pytest.raises(InputFileError) as caught:
            check_input_files(files, max_bytes=MB, max_images=4)
        assert caught.value.reason == reason


def test_file_names_are_escaped_in_messages() -> None:
    assert messages.input_not_an_image("<b>&.svg", "image/svg+xml").startswith("&lt;b&gt;&amp;.svg")


def test_sizes_that_round_alike_are_told_in_bytes() -> None:
    text = messages.input_too_big("a.png", 20_000_001, 20_000_000)
    assert text == (
        "a.png is 20,000,001 bytes; images can be at most 20,000,000 bytes. Attach a smaller one."
    )
    assert messages.input_too_big("b.png", 25_000_000, 20_000_000).startswith("b.png is 25 MB;")


def test_a_generic_mimetype_defers_to_the_filetype() -> None:
    """``application/octet-stream`` with ``filetype: png`` is a PNG by its metadata (its bytes
    are still checked when downloaded), not "a PNG file; attach a PNG"."""
    files = [
        {"id": "F1", "name": "x.png", "mimetype": "application/octet-stream", "filetype": "png",
         "size": 10, "url_private_download": "https://files.example/x.png"},
        {"id": "F2", "name": "y.gif", "mimetype": "image/gif", "filetype": "gif", "size": 10},
        {"id": "F3", "name": "z.png", "mimetype": "image/png", "mode": "tombstone"},
    ]  # fmt: skip
    usable, reasons = usable_message_images(files, max_bytes=100, max_images=4)
    assert usable == ["F1"]
    assert reasons == [
        "y.gif is a GIF; attach a PNG, JPEG or WebP.",
        messages.input_unavailable("z.png"),
    ]
    check_input_files(files[:1], max_bytes=100, max_images=4)  # no error


def test_files_slack_hides_or_deleted_are_refused_without_metadata() -> None:
    for stub, text in [
        ({"id": "F1", "mode": "hidden_by_limit"}, messages.input_hidden("F1")),
        ({"id": "F2", "mode": "tombstone"}, messages.input_unavailable("F2")),
    ]:
        with pytest.raises(InputFileError) as caught:
            check_input_files([stub], max_bytes=MB, max_images=4)
        assert (caught.value.text, caught.value.reason) == (text, "unavailable")
