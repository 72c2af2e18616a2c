"""What the benchmark sends and how it reads the outcome: the commands of a burst (one user
each, or a heavy user's K commands first), the app's environment, signing them (they are
fired by :mod:`bench.client`), and telling delivered images, failure messages and waiting
notices apart in the fake Slack."""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass, field

from bench import input_images
from bot.messages import WAITING_PREFIX
from tests.fakes import FakeOpenAI, FakeSlack
from tests.harness import bot_environment, free_port, sign, slash_command_body

SHUTDOWN_GRACE_S = 25.0
UNREACHED_IMAGE_LIMIT = 1_000_000  # --with-quotas: limits set, never reached
UNREACHED_BUDGET_USD = 1_000_000
HEAVY_USER = "UHEAVY0"
RESUMED = "resumed after a restart"
_CAPTION_USER = re.compile(r"^<@(U[A-Z0-9]+)>")


def command_body(index: int, n: int, response_url: str, user: str | None = None) -> str:
    """A form-encoded ``/imagine`` slash command as Slack sends it (user ``U<index>`` unless
    ``user`` is given)."""
    text = f"a lighthouse in a storm, variation {index}"
    if n > 1:
        text = f"--n {n} {text}"
    return slash_command_body(text, response_url, user=user or f"U{index:06d}")


def burst_bodies(slack: FakeSlack, args: argparse.Namespace) -> list[list[str]]:
    """The commands to fire, in waves fired one after the other: with ``--heavy-user K``, the
    heavy user's K commands, then one command from each other user; else one wave, one user
    per command; with ``--with-input-images``, one wave of mentions that each carry a PNG."""
    n = args.n_per_command
    if args.with_input_images:
        return [input_images.mention_bodies(slack, args.commands, args.input_image_bytes, n)]
    heavy = [
        command_body(i, n, slack.new_response_url(), user=HEAVY_USER)
        for i in range(args.heavy_user)
    ]
    others = [
        command_body(i, n, slack.new_response_url()) for i in range(args.heavy_user, args.commands)
    ]
    return [heavy, others] if heavy else [others]


def floor_s(images: int, images_per_minute: int, latency_s: float) -> float:
    """The least time ``images`` images can take under ``images_per_minute`` (a full bucket at
    start, then the refill), plus one image's latency."""
    return max(images - images_per_minute, 0) / images_per_minute * 60 + latency_s


def app_environment(
    slack: FakeSlack, openai: FakeOpenAI, args: argparse.Namespace, database_url: str
) -> dict[str, str]:
    """The app's environment for this run: the fakes, ``database_url`` and the ``MAX_*``
    settings of ``args``; with ``--with-quotas``, limits that are never reached."""
    settings = {
        "LOG_LEVEL": "WARNING",
        "MAX_CONCURRENT_JOBS": str(args.max_concurrent_jobs),
        "MAX_QUEUED_JOBS": str(args.max_queued_jobs),
        "MAX_PAYLOADS_IN_MEMORY": str(args.max_payloads_in_memory),
        "MAX_IMAGES": str(max(args.n_per_command, 5)),
        "SHUTDOWN_GRACE_S": str(SHUTDOWN_GRACE_S),
    }
    if args.with_quotas:
        settings["USER_DAILY_IMAGE_LIMIT"] = str(UNREACHED_IMAGE_LIMIT)
        settings["MONTHLY_BUDGET_USD"] = str(UNREACHED_BUDGET_USD)
    return bot_environment(slack, openai.base_url, database_url, free_port(), **settings)


def signed(bodies: list[str]) -> list[tuple[str, dict[str, str]]]:
    """Each body with its headers: content type and Slack's signature (made now: Slack's
    signatures are good for five minutes)."""
    return [(body, {"Content-Type": _content_type(body), **sign(body)}) for body in bodies]


def _content_type(body: str) -> str:
    """Events are JSON; commands are form-encoded."""
    return (
        input_images.CONTENT_TYPE if body.startswith("{") else "application/x-www-form-urlencoded"
    )


@dataclass
class Deliveries:
    """What reached the fake Slack so far, read by :meth:`update`: image sizes, failure
    messages (ephemeral answers that are not a waiting or resumed notice), waiting notices,
    and when each user's first image message was seen (seconds after ``started``)."""

    started: float
    sizes: list[int] = field(default_factory=list)
    messages_with_files: int = 0
    failures: int = 0
    waiting: int = 0
    first_image_s: dict[str, float] = field(default_factory=dict)

    def update(self, slack: FakeSlack) -> None:
        """Read the fake Slack again."""
        now = time.monotonic() - self.started
        image_messages = [message for message in slack.messages if message.files]
        self.sizes = [f["length"] for message in image_messages for f in message.files]
        self.messages_with_files = len(image_messages)
        for message in image_messages:
            found = _CAPTION_USER.match(message.text or "")
            if found and found.group(1) not in self.first_image_s:
                self.first_image_s[found.group(1)] = now
        texts = [str(r.get("text", "")) for r in slack.responses]
        self.waiting = sum(1 for text in texts if text.startswith(WAITING_PREFIX))
        self.failures = sum(
            1 for text in texts if not text.startswith(WAITING_PREFIX) and RESUMED not in text
        )
