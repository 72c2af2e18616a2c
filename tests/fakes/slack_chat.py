"""The messages half of the fake Slack Web API (a mixin of
:class:`tests.fakes.slack_api.FakeSlack`): ``chat.*``, ``conversations.join`` and
``reactions.*``, with the channel membership rules of a bot user and Slack's limits on text and
blocks, and the :class:`SlackMessage` it records.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.slack_rules import (
    MESSAGE_BLOCKS_MAX,
    TEXT_MAX,
    TS_PATTERN,
    SlackError,
    check_blocks,
    decode,
)


@dataclass
class SlackMessage:
    """A message the bot put in a channel, by ``chat.postMessage`` or by
    ``files.completeUploadExternal`` (``text`` = ``initial_comment``).

    ``blocks`` is a list (decoded when sent as a JSON string) or ``None``. ``files`` holds one
    dict per shared file: ``id``, ``title``, ``filename``, ``alt_txt``, ``length`` (bytes) and,
    when the fake keeps upload bytes, ``bytes``. ``ts`` is the message's own timestamp.
    """

    channel: str
    ts: str
    text: str | None = None
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    user: str = "UBOT"

    def as_slack(self) -> dict[str, Any]:
        """The ``message`` object Slack returns for it."""
        message: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "bot_id": "BBOT",
            "ts": self.ts,
        }
        message.update({"text": self.text or ""})
        if self.blocks is not None:
            message["blocks"] = self.blocks
        if self.thread_ts:
            message["thread_ts"] = self.thread_ts
        if self.files:
            message["files"] = [
                {"id": f["id"], "title": f["title"], "name": f["filename"]} for f in self.files
            ]
        return message


class ChatMethods:
    """Messages, ephemerals, joins and reactions (a mixin: it uses the host's ``channels``,
    ``default_kind``, ``default_prefixes``, ``messages``, ``ephemerals``, ``reactions`` and
    ``_ts_ticks``).
    """

    channels: dict[str, str]
    default_kind: str | None
    default_prefixes: tuple[str, ...]
    messages: list[SlackMessage]
    ephemerals: list[dict[str, Any]]
    reactions: dict[tuple[str, str], set[str]]
    _ts_ticks: itertools.count[int]

    def _chat_methods(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.join": self._conversations_join,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
        }

    def _new_ts(self) -> str:
        seconds, micros = divmod(next(self._ts_ticks), 1_000_000)
        return f"{1_700_001_000 + seconds}.{micros:06d}"

    def _kind(self, channel: str) -> str | None:
        if channel in self.channels:
            return self.channels[channel]
        return self.default_kind if channel.startswith(self.default_prefixes) else None

    def _reach(self, channel: str) -> str:
        """``channel`` if the bot may post or react there, else the error Slack gives."""
        kind = self._kind(channel)
        if kind == "member":
            return channel
        raise SlackError(
            {"public": "not_in_channel", "archived": "is_archived"}.get(
                kind or "", "channel_not_found"
            )
        )

    def _content(self, params: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]] | None]:
        """Message ``text`` and decoded ``blocks``: at least one, within Slack's limits."""
        text = params.get("text") or None
        blocks = decode(params.get("blocks"), "blocks") if params.get("blocks") else None
        if text is None and blocks is None and not params.get("attachments"):
            raise SlackError("no_text")
        if text is not None and len(str(text)) > TEXT_MAX:
            raise SlackError("msg_too_long")
        if blocks is not None and (problems := check_blocks(blocks, MESSAGE_BLOCKS_MAX, "/blocks")):
            raise SlackError("invalid_blocks", *problems)
        return text, blocks

    @staticmethod
    def _thread_ts(params: dict[str, Any]) -> str | None:
        thread_ts = params.get("thread_ts") or None
        if thread_ts is not None and not TS_PATTERN.match(str(thread_ts)):
            raise SlackError("invalid_thread_ts")
        return thread_ts

    def _find_message(self, channel: str, ts: str) -> SlackMessage:
        for message in self.messages:
            if (message.channel, message.ts) == (channel, ts):
                return message
        raise SlackError("message_not_found")

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._reach(params["channel"])
        text, blocks = self._content(params)
        message = SlackMessage(channel, self._new_ts(), text, blocks, self._thread_ts(params))
        self.messages.append(message)
        return {"channel": channel, "ts": message.ts, "message": message.as_slack()}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._reach(params["channel"])
        text, blocks = self._content(params)
        ephemeral = {
            "channel": channel,
            "user": params["user"],
            "text": text,
            "blocks": blocks,
            "thread_ts": self._thread_ts(params),
            "message_ts": self._new_ts(),
        }
        self.ephemerals.append(ephemeral)
        return {"message_ts": ephemeral["message_ts"]}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._reach(params["channel"])
        message = self._find_message(channel, params["ts"])
        message.text, message.blocks = self._content(params)
        return {
            "channel": channel,
            "ts": message.ts,
            "text": message.text or "",
            "message": message.as_slack(),
        }

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._reach(params["channel"])
        self.messages.remove(self._find_message(channel, params["ts"]))
        return {"channel": channel, "ts": params["ts"]}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._reach(params["channel"])
        message = self._find_message(channel, str(params["message_ts"]))
        link = f"https://imagine-test.slack.com/archives/{channel}/p{message.ts.replace('.', '')}"
        if message.thread_ts:
            link += f"?thread_ts={message.thread_ts}&cid={channel}"
        return {"channel": channel, "permalink": link}

    def _conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params["channel"]
        kind = self._kind(channel)
        if kind == "archived":
            raise SlackError("is_archived")
        if kind not in ("member", "public"):
            raise SlackError("channel_not_found")
        self.channels[channel] = "member"
        answer: dict[str, Any] = {"channel": {"id": channel, "is_channel": True, "is_member": True}}
        if kind == "member":
            answer["warning"] = "already_in_channel"
        return answer

    def _reaction(self, params: dict[str, Any]) -> tuple[set[str], str]:
        channel = self._reach(params["channel"])
        name = str(params["name"])
        if ":" in name or " " in name:
            raise SlackError("invalid_name")
        return self.reactions.setdefault((channel, str(params["timestamp"])), set()), name

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        names, name = self._reaction(params)
        if name in names:
            raise SlackError("already_reacted")
        names.add(name)
        return {}

    def _reactions_remove(self, params: dict[str, Any]) -> dict[str, Any]:
        names, name = self._reaction(params)
        if name not in names:
            raise SlackError("no_reaction")
        names.remove(name)
        return {}
