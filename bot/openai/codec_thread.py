"""One thread for the CPU-heavy decoding and encoding of OpenAI bodies (a ~2.7 MB JSON answer
per image, its base64 image, an edit's base64 input images).

That work runs off the event loop, but pydantic-core's JSON parser, ``json.dumps`` of a large
body and ``base64`` hold the GIL for the whole C call: the switch interval cannot interrupt
them. With several such calls in flight on ``asyncio.to_thread``'s pool, the event loop could
wait for one after another (the 100-command benchmark's worst loop lag was ~120 ms). On one
thread the loop waits at most for the call in progress; at ~15 ms of CPU per image that thread
keeps up with far more images per second than OpenAI delivers.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None


def _codec_executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="imagine-codec")
    return _executor


async def in_codec_thread(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` on the codec thread (see the module docstring); its exceptions are
    raised here."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_codec_executor(), functools.partial(function, *args))
