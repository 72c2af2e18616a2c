"""Files in the fake Slack, as a mixin of :class:`tests.fakes.slack_api.FakeSlack`:

- the three steps of ``files_upload_v2``: ``files.getUploadURLExternal``, the upload POST,
  ``files.completeUploadExternal`` (one message for all the files);
- ``files.info``, whose ``file.shares.public|private[channel][{ts, thread_ts?, ...}]`` appear
  **asynchronously**: ``share_delay_s`` seconds after ``completeUploadExternal``; until then the
  file has no shares, as on Slack (platform.md, "Where a result lives");
- files that people uploaded (:meth:`FileMethods.add_user_file`), shaped as in ``message``
  (``file_share``) and ``app_mention`` events (bolt-python's
  ``tests/scenario_tests_async/test_message_file_share.py``), optionally Slack Connect files
  with ``file_access: "check_file_info"`` and no URLs;
- ``url_private`` / ``url_private_download``: the bytes with ``Authorization: Bearer <bot
  token>``; without a valid token **200 with an HTML login page**, which is what Slack does
  (platform.md, "Files from users"). Downloads are recorded in ``downloads``.
"""

from __future__ import annotations

import itertools
import mimetypes
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from tests.fakes.slack_rules import ALT_TXT_MAX, SlackError, decode, too_long

if TYPE_CHECKING:
    from tests.fakes.slack_api import SlackMessage

TEAM_ID = "T1"
LOGIN_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><title>Slack</title></head><body>'
    '<h1>Sign in to Imagine Test</h1><form action="/signin" method="post">'
    '<input type="email" name="email"><button>Sign in</button></form></body></html>'
)
_EXTRA_TYPES = {".webp": "image/webp", ".svg": "image/svg+xml", ".heic": "image/heic"}


@dataclass
class Share:
    """One message that shares a file: ``channel``, the message ``ts``, its ``thread_ts`` when
    it is a thread reply, and the monotonic time from which ``files.info`` shows it."""

    channel: str
    ts: str
    thread_ts: str | None
    visible_at: float


@dataclass
class SlackFile:
    """A file Slack knows: one the bot uploads (``files_upload_v2``) or one a person uploaded
    (:meth:`FileMethods.add_user_file`). ``length`` is the announced size, ``received`` the
    bytes that arrived (``None`` before the upload POST), ``data`` the bytes when kept."""

    id: str
    filename: str
    length: int
    alt_txt: str | None
    user: str = "UBOT"
    title: str | None = None
    mimetype: str | None = None
    received: int | None = None
    data: bytes | None = None
    completed: bool = False
    file_access: str | None = None
    created: int = field(default_factory=lambda: int(time.time()))
    shares: list[Share] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        """The MIME type: as registered, else guessed from the file name."""
        return self.mimetype or mime_type(self.filename)


def mime_type(name: str) -> str:
    """The MIME type Slack reports for a file called ``name``."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in _EXTRA_TYPES:
        return _EXTRA_TYPES[suffix]
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class FileMethods:
    """The files half of the fake (a mixin: it uses the host's ``origin``, ``bot_token``,
    ``messages``, ``_reach``, ``_new_ts`` and ``_thread_ts``).

    State: ``uploads`` (file id -> :class:`SlackFile`, the bot's and people's files),
    ``downloads`` (``(file_id, authorized)`` per GET of a file URL), ``share_delay_s``.
    """

    origin: str
    bot_token: str
    messages: list[SlackMessage]
    keep_upload_bytes: bool

    def _init_files(self, app: web.Application, share_delay_s: float) -> None:
        self.share_delay_s = share_delay_s
        self.uploads: dict[str, SlackFile] = {}
        self.downloads: list[tuple[str, bool]] = []
        self._file_ids = itertools.count(1)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/files-pri/{team_file}/download/{name}", self._serve_file)
        app.router.add_get("/files-pri/{team_file}/{name}", self._serve_file)

    def _file_methods(self) -> dict[str, Any]:
        return {
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
        }

    # --- public helpers -----------------------------------------------------------------------

    def add_user_file(
        self,
        name: str,
        data: bytes,
        *,
        mimetype: str | None = None,
        user: str = "U1",
        channel: str | None = None,
        ts: str | None = None,
        check_file_info: bool = False,
    ) -> dict[str, Any]:
        """Register a file a person uploaded, shared by their message ``ts`` in ``channel``, and
        return its ``files[]`` item as a ``message``/``app_mention`` event carries it. With
        ``check_file_info`` (a Slack Connect file) the item has only ``id``, ``file_access``,
        ``created``, ``timestamp`` and ``user``, and the URLs come from ``files.info``."""
        file_id = f"F{next(self._file_ids):04d}USER{len(self.uploads):04d}"
        record = SlackFile(
            id=file_id,
            filename=name,
            length=len(data),
            alt_txt=None,
            user=user,
            title=name,
            mimetype=mimetype,
            received=len(data),
            data=data,
            completed=True,
            file_access="check_file_info" if check_file_info else None,
        )
        if channel and ts:
            record.shares.append(Share(channel, ts, None, 0.0))
        self.uploads[file_id] = record
        if check_file_info:
            return {
                "id": file_id,
                "file_access": "check_file_info",
                "created": record.created,
                "timestamp": record.created,
                "user": user,
            }
        return self.file_object(record, with_shares=False)

    def file_object(self, record: SlackFile, *, with_shares: bool = True) -> dict[str, Any]:
        """The ``file`` object of ``files.info`` (shares visible now) or, without shares, of a
        ``files[]`` item in an event."""
        base = f"{self.origin}/files-pri/{TEAM_ID}-{record.id}"
        extension = record.filename.rsplit(".", 1)[-1].lower() if "." in record.filename else ""
        file: dict[str, Any] = {
            "id": record.id,
            "created": record.created,
            "timestamp": record.created,
            "name": record.filename,
            "title": record.title or record.filename,
            "mimetype": record.content_type,
            "filetype": extension,
            "pretty_type": extension.upper(),
            "user": record.user,
            "user_team": TEAM_ID,
            "editable": False,
            "size": record.received if record.received is not None else record.length,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": True,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{base}/{record.filename}",
            "url_private_download": f"{base}/download/{record.filename}",
            "media_display_type": "unknown",
            "permalink": f"https://imagine-test.slack.com/files/{record.user}/{record.id}/"
            f"{record.filename}",
            "permalink_public": f"https://slack-files.com/{TEAM_ID}-{record.id}-0f2e",
            "has_rich_preview": False,
        }
        if record.alt_txt:
            file["alt_txt"] = record.alt_txt
        if not with_shares:
            return file
        now = time.monotonic()
        visible = [share for share in record.shares if share.visible_at <= now]
        shares: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for share in reversed(visible):  # newest share first, as Slack lists them
            scope = "public" if share.channel.startswith("C") else "private"
            entry: dict[str, Any] = {
                "reply_users": [],
                "reply_users_count": 0,
                "reply_count": 0,
                "ts": share.ts,
                "channel_name": share.channel.lower(),
                "team_id": TEAM_ID,
                "share_user_id": record.user,
                "source": "UNKNOWN",
                "is_silent_share": False,
            }
            if share.thread_ts:
                entry["thread_ts"] = share.thread_ts
            shares.setdefault(scope, {}).setdefault(share.channel, []).append(entry)
        file["shares"] = shares
        file["channels"] = sorted({s.channel for s in visible if s.channel.startswith("C")})
        file["groups"] = sorted({s.channel for s in visible if s.channel.startswith("G")})
        file["ims"] = sorted({s.channel for s in visible if s.channel.startswith("D")})
        file["comments_count"] = 0
        return file

    # --- Web API methods ----------------------------------------------------------------------

    def _files_get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            length = int(params["length"])
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments", "[ERROR] length must be an integer") from None
        if length <= 0:
            raise SlackError("invalid_arguments", "[ERROR] length must be positive")
        alt_txt = params.get("alt_txt")
        if alt_txt is not None and len(str(alt_txt)) > ALT_TXT_MAX:
            raise SlackError("invalid_arguments", too_long(ALT_TXT_MAX, "/alt_txt"))
        file_id = f"F{next(self._file_ids):010d}"
        self.uploads[file_id] = SlackFile(file_id, str(params["filename"]), length, alt_txt)
        return {"upload_url": f"{self.origin}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        from tests.fakes.slack_api import SlackMessage

        items = decode(params["files"], "files")
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(i, dict) and i.get("id") for i in items)
        ):
            raise SlackError(
                "invalid_arguments", "[ERROR] files must be a non-empty array of {id, title}"
            )
        records: list[SlackFile] = []
        for item in items:
            upload = self.uploads.get(item["id"])
            if upload is None or upload.received is None or upload.user != "UBOT":
                raise SlackError("file_not_found")
            if upload.received != upload.length:
                raise SlackError("file_upload_size_mismatch")
            upload.title = item.get("title") or upload.filename
            records.append(upload)

        channels = [params["channel_id"]] if params.get("channel_id") else []
        channels += [c for c in str(params.get("channels") or "").split(",") if c]
        thread_ts = self._thread_ts(params)  # type: ignore[attr-defined]
        if thread_ts and not channels:
            raise SlackError("invalid_arguments", "[ERROR] thread_ts requires channel_id")
        for channel in channels:
            self._reach(channel)  # type: ignore[attr-defined]
        blocks = decode(params["blocks"], "blocks") if params.get("blocks") else None
        shared = [self._shared_entry(record) for record in records]
        visible_at = time.monotonic() + self.share_delay_s
        for channel in channels:
            text = params.get("initial_comment") or None
            ts = self._new_ts()  # type: ignore[attr-defined]
            self.messages.append(SlackMessage(channel, ts, text, blocks, thread_ts, list(shared)))
            for record in records:
                record.shares.append(Share(channel, ts, thread_ts, visible_at))
        for record in records:
            record.completed = True
        return {"files": [{"id": r.id, "title": r.title, "name": r.filename} for r in records]}

    @staticmethod
    def _shared_entry(record: SlackFile) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": record.id,
            "title": record.title,
            "filename": record.filename,
            "alt_txt": record.alt_txt,
            "length": record.received,
        }
        if record.data is not None:
            entry["bytes"] = record.data
        return entry

    def _files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        record = self.uploads.get(str(params["file"]))
        if record is None or not record.completed:
            raise SlackError("file_not_found")
        return {
            "file": self.file_object(record),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    # --- HTTP handlers ------------------------------------------------------------------------

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL: the file's bytes as the raw body (slack_sdk) or a multipart file."""
        fault = self.faults.take(lambda key: key == "upload")  # type: ignore[attr-defined]
        if fault:
            return self._fault_response(fault, text=True)  # type: ignore[attr-defined,no-any-return]
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None or upload.completed:
            return web.Response(status=404, text="file_not_found")
        data = await read_upload_body(request)
        upload.received = len(data)
        upload.data = data if self.keep_upload_bytes else None
        return web.Response(text=f"OK - {len(data)}")

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        """``url_private`` and ``url_private_download``: the bytes for the bot token, else the
        login page with status 200."""
        team, _, file_id = request.match_info["team_file"].partition("-")
        record = self.uploads.get(file_id)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        authorized = scheme.lower() == "bearer" and token.strip() == self.bot_token
        self.downloads.append((file_id, authorized))
        if not authorized:
            return web.Response(text=LOGIN_PAGE, content_type="text/html", charset="utf-8")
        if (
            record is None
            or team != TEAM_ID
            or request.match_info["name"] != record.filename
            or not record.completed
        ):
            return web.Response(status=404, text="file_not_found")
        if record.data is None:
            return web.Response(status=410, text="file_bytes_not_kept")
        disposition = "attachment" if "/download/" in request.path else "inline"
        return web.Response(
            body=record.data,
            content_type=record.content_type,
            headers={"Content-Disposition": f'{disposition}; filename="{record.filename}"'},
        )


async def read_upload_body(request: web.Request) -> bytes:
    """The uploaded bytes: the first file part of a multipart body, else the raw body."""
    if request.content_type != "multipart/form-data":
        return await request.read()
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, BodyPartReader) and (part.filename or part.name == "file"):
            return bytes(await part.read())
    return b""
