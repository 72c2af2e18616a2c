"""``python -m bench.run --with-input-images``: the burst is ``@Imagine`` mentions that each
carry a PNG of ``--input-image-bytes`` (default 1 MB), so every job first downloads its input
image from Slack (``url_private_download`` with the bot token) and sends it to OpenAI as an
``input_image``, under the same payload-slot bound as the generated images (issue #8's target:
100 in flight, peak RSS under 300 MB).

The fake Slack serves one PNG registered once per mention (the bytes are shared, so this
process stays small); each mention is its own post (channel ``C1``, its own ts and event id).
"""

from __future__ import annotations

import argparse
import json

from tests.fakes import FakeSlack, make_png
from tests.fakes.slack_events import app_mention_event, event_callback

DEFAULT_INPUT_IMAGE_BYTES = 1_000_000
CONTENT_TYPE = "application/json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--with-input-images`` and ``--input-image-bytes``."""
    parser.add_argument(
        "--with-input-images",
        action="store_true",
        help="fire mentions carrying a PNG (downloaded by the app and sent to OpenAI) "
        "instead of /imagine commands",
    )
    parser.add_argument(
        "--input-image-bytes",
        type=int,
        default=DEFAULT_INPUT_IMAGE_BYTES,
        help="size of each mention's PNG (default 1 MB)",
    )


def mention_bodies(slack: FakeSlack, count: int, image_bytes: int, n: int) -> list[str]:
    """``count`` signed-ready ``event_callback`` JSON bodies: mentions asking for ``n`` images
    with a PNG of about ``image_bytes`` attached, registered in ``slack``."""
    png = make_png(512, 512, target_bytes=image_bytes)
    bodies = []
    for index in range(count):
        ts = f"1700100000.{index:06d}"
        file = slack.add_user_file(
            f"photo-{index}.png", png, user=f"U{index:06d}", channel="C1", ts=ts
        )
        text = f"<@UBOT> {'--n ' + str(n) + ' ' if n > 1 else ''}make it a watercolour {index}"
        event = app_mention_event(text, ts=ts, user=f"U{index:06d}", files=[file])
        bodies.append(json.dumps(event_callback(event, event_id=f"EvBench{index:06d}")))
    return bodies
