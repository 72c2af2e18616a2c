"""Files people attach in Slack, downloaded for use as input images (issue #8).

Source: platform.md, "Files from users". ``message`` (``file_share``) and ``app_mention`` events
carry ``files[]`` (``id``, ``name``, ``mimetype``, ``filetype``, ``size``, ``url_private``,
``url_private_download``); Slack Connect files may instead carry ``file_access:
"check_file_info"`` and no URLs, and ``files.info`` gives the full object. Downloads use
``Authorization: Bearer <bot token>`` and need the ``files:read`` scope; **without a valid token
Slack answers 200 with an HTML sign-in page**, so the content type *and* the magic bytes are
checked. OpenAI takes PNG, JPEG and WebP (``CreateImageEditRequest``).

Every check that needs no download (count, type, declared size) runs first, so a bad request is
refused before any byte is fetched. The download streams with a size cap and never blocks the
event loop. Call :func:`download_input_images` lazily, inside the job and under its payload slot
(see :class:`bot.openai.backends.EditInputs`), so that bytes in memory stay bounded.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.errors import InputFileError

log = logging.getLogger(__name__)

ACCEPTED_MIMETYPES = ("image/png", "image/jpeg", "image/webp")
_GENERIC_MIMETYPES = ("", "application/octet-stream", "binary/octet-stream")
_ACCEPTED_FILETYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
                       "webp": "image/webp"}  # fmt: skip
_UNUSABLE_MODES = ("tombstone", "hidden_by_limit", "external")
DOWNLOAD_TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class InputImage:
    """One validated input image: the file's ``name`` in Slack, its ``mimetype`` as its bytes
    say (``image/png``, ``image/jpeg`` or ``image/webp``) and the ``data``."""

    name: str
    mimetype: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The image type the magic bytes of ``data`` say: ``image/png``, ``image/jpeg``,
    ``image/webp``, else ``None``."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _looks_like_html(data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<!--")) or b"<html" in head


def _name(file: dict[str, Any]) -> str:
    return str(file.get("name") or file.get("title") or file.get("id") or "the file")


def _declared_type(file: dict[str, Any]) -> str | None:
    """The accepted image type Slack's metadata gives, else ``None``; a generic mimetype
    (none, ``application/octet-stream``) defers to ``filetype`` (the bytes are checked too)."""
    mimetype = str(file.get("mimetype") or "").lower().replace("image/jpg", "image/jpeg")
    if mimetype in ACCEPTED_MIMETYPES:
        return mimetype
    if mimetype in _GENERIC_MIMETYPES:
        return _ACCEPTED_FILETYPES.get(str(file.get("filetype") or "").lower())
    return None


def usable_message_images(
    files: list[dict[str, Any]], *, max_bytes: int, max_images: int
) -> tuple[list[str], list[str]]:
    """For a message a shortcut is used on: the ids of its images that can be sent (by their
    metadata; ``check_file_info`` files are checked when downloaded), at most ``max_images``,
    and why each of its other images cannot be (messages for the person). Files that are not
    images at all (a PDF next to the logo) are neither."""
    usable: list[str] = []
    reasons: list[str] = []
    for file in files:
        if not isinstance(file, dict) or not file.get("id"):
            continue
        if file.get("file_access") == "check_file_info":
            usable.append(str(file["id"]))
            continue
        mimetype = str(file.get("mimetype") or "").lower()
        if _declared_type(file) is None and not mimetype.startswith("image/"):
            continue  # not an image at all: not "an image from the message"
        try:  # deleted, hidden by the plan's limit, not PNG/JPEG/WebP, too big
            _check_metadata(file, max_bytes, downloadable=False)
        except InputFileError as exc:
            reasons.append(exc.text)
            continue
        usable.append(str(file["id"]))
    if len(usable) > max_images:
        reasons.append(messages.images_beyond(len(usable), max_images))
        usable = usable[:max_images]
    return usable, reasons


async def _resolve(client: AsyncWebClient, file: dict[str, Any]) -> dict[str, Any]:
    """The full file object: ``files.info`` for ``file_access: "check_file_info"`` files."""
    if file.get("file_access") != "check_file_info" and file.get("url_private_download"):
        return file
    if file.get("file_access") != "check_file_info" and file.get("url_private"):
        return file
    try:
        answer = await client.files_info(file=str(file.get("id", "")))
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        log.warning("files.info for an input image failed: %s", error)
        if error in ("missing_scope", "not_authed", "invalid_auth", "no_permission"):
            raise InputFileError(messages.INPUT_NO_ACCESS, reason="no_access") from None
        raise InputFileError(
            messages.input_unavailable(_name(file)), reason="unavailable", file_name=_name(file)
        ) from None
    resolved = answer.get("file") or {}
    return {**file, **resolved}


def _check_metadata(file: dict[str, Any], max_bytes: int, *, downloadable: bool = True) -> str:
    """Raise :class:`InputFileError` for a file that cannot be used by its metadata alone
    (``downloadable``: its URL must be there too); return its declared image type."""
    name = _name(file)
    if file.get("mode") == "hidden_by_limit":
        raise InputFileError(messages.input_hidden(name), reason="unavailable", file_name=name)
    if file.get("mode") in _UNUSABLE_MODES:
        raise InputFileError(messages.input_unavailable(name), reason="unavailable", file_name=name)
    declared = _declared_type(file)
    if declared is None:
        raise InputFileError(
            messages.input_not_an_image(
                name, str(file.get("mimetype") or ""), str(file.get("filetype") or "")
            ),
            reason="type",
            file_name=name,
        )
    size = file.get("size")
    if isinstance(size, int) and size > max_bytes:
        raise InputFileError(
            messages.input_too_big(name, size, max_bytes), reason="too_big", file_name=name
        )
    if downloadable and not (file.get("url_private_download") or file.get("url_private")):
        raise InputFileError(messages.input_unavailable(name), reason="unavailable", file_name=name)
    return declared


def check_input_files(files: list[dict[str, Any]], *, max_bytes: int, max_images: int) -> None:
    """The checks :func:`download_input_images` makes without any network call (count, and for
    files whose metadata is in the event: type and declared size), for a listener that wants to
    refuse a bad request at once, before it queues a job: a deleted file (``mode: tombstone``)
    or one hidden by the workspace's plan (``hidden_by_limit``) is refused here even without
    metadata. Files marked ``check_file_info`` (or bare ids) are left for the download.
    Raises :class:`bot.errors.InputFileError`."""
    if len(files) > max_images:
        raise InputFileError(messages.input_too_many(len(files), max_images), reason="too_many")
    for file in files:
        described = file.get("mimetype") or file.get("filetype")
        if file.get("mode") in _UNUSABLE_MODES or (
            file.get("file_access") != "check_file_info" and described
        ):
            _check_metadata(file, max_bytes)


async def download_input_images(
    client: AsyncWebClient,
    files: list[dict[str, Any]],
    *,
    max_bytes: int,
    max_images: int,
    http: httpx.AsyncClient | None = None,
) -> list[InputImage]:
    """Validate and download Slack ``files`` (event ``files[]`` items) as input images.

    ``client`` is the Slack client of the request's workspace: its ``token`` authorizes the
    downloads and ``files.info``. An item without URLs (``check_file_info``, or just
    ``{"id": "F…"}``, e.g. an earlier result's file) is completed with ``files.info``.
    ``max_bytes`` caps each file (MAX_INPUT_IMAGE_BYTES), checked on the declared ``size`` and
    again while streaming; ``max_images`` caps the count (MAX_INPUT_IMAGES). ``http`` is an
    optional httpx client (tests; a short-lived one is made otherwise). Returns the images in
    the order given.

    Raises :class:`bot.errors.InputFileError` (a :class:`bot.errors.UserInputError`) with the
    message for the user: too many files, a file that is not PNG/JPEG/WebP (by type or by its
    bytes), too big, deleted or not shared with the app, a failed download, or Slack's sign-in
    page instead of the file (the app lacks ``files:read``: an admin problem).
    """
    check_input_files(files, max_bytes=max_bytes, max_images=max_images)
    resolved = [await _resolve(client, file) for file in files]
    declared = [_check_metadata(file, max_bytes) for file in resolved]
    token = client.token
    if not token:
        raise InputFileError(messages.INPUT_LOGIN_PAGE, reason="no_access")
    own = http is None
    http = http or httpx.AsyncClient(
        timeout=httpx.Timeout(DOWNLOAD_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
        follow_redirects=True,
    )
    try:
        return list(
            await asyncio.gather(
                *(
                    _download(http, token, file, mimetype, max_bytes)
                    for file, mimetype in zip(resolved, declared, strict=True)
                )
            )
        )
    finally:
        if own:
            await http.aclose()


async def _download(
    http: httpx.AsyncClient, token: str, file: dict[str, Any], declared: str, max_bytes: int
) -> InputImage:
    name = _name(file)
    url = str(file.get("url_private_download") or file.get("url_private"))
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with http.stream("GET", url, headers=headers) as response:
            if response.status_code in (401, 403, 404, 410):
                raise InputFileError(
                    messages.input_unavailable(name), reason="unavailable", file_name=name
                )
            if response.status_code != 200:
                log.warning("input image download answered HTTP %d", response.status_code)
                raise InputFileError(
                    messages.input_download_failed(name), reason="download_failed", file_name=name
                )
            content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            content_type = content_type.replace("image/jpg", "image/jpeg")
            if content_type.startswith("text/html"):
                raise InputFileError(messages.INPUT_LOGIN_PAGE, reason="no_access", file_name=name)
            if content_type not in ACCEPTED_MIMETYPES:
                raise InputFileError(
                    messages.input_content_mismatch(name), reason="content", file_name=name
                )
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise InputFileError(
                    messages.input_too_big(name, int(length), max_bytes),
                    reason="too_big",
                    file_name=name,
                )
            chunks: list[bytes] = []
            received = 0
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > max_bytes:
                    raise InputFileError(
                        messages.input_too_big(name, None, max_bytes),
                        reason="too_big",
                        file_name=name,
                    )
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        log.warning("input image download failed: %s", type(exc).__name__)
        raise InputFileError(
            messages.input_download_failed(name), reason="download_failed", file_name=name
        ) from None
    data = b"".join(chunks)
    del chunks
    actual = sniff(data)
    if actual is None and _looks_like_html(data):
        raise InputFileError(messages.INPUT_LOGIN_PAGE, reason="no_access", file_name=name)
    if actual is None:
        raise InputFileError(
            messages.input_content_mismatch(name), reason="content", file_name=name
        )
    if actual != declared:
        log.info("input image declared %s but is %s; using its bytes' type", declared, actual)
    return InputImage(name=name, mimetype=actual, data=data)
