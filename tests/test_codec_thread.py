"""The codec thread (bot/openai/codec_thread.py): OpenAI bodies are decoded off the event loop,
one at a time, and a failure is raised to the awaiting caller."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.openai.codec_thread import in_codec_thread


async def test_one_decode_at_a_time_off_the_event_loop() -> None:
    running, most, threads = 0, 0, set()
    lock = threading.Lock()

    def decode(value: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        threads.add(threading.current_thread().name)
        time.sleep(0.01)  # a blocking C call, as far as the loop is concerned
        with lock:
            running -= 1
        return value * 2

    results = await asyncio.gather(*(in_codec_thread(decode, i) for i in range(5)))
    assert results == [0, 2, 4, 6, 8]
    assert most == 1  # never two at once
    assert threading.main_thread().name not in threads
    assert all(name.startswith("imagine-codec") for name in threads)


async def test_a_failure_is_raised_to_the_caller() -> None:
    def broken() -> None:
        raise ValueError("not base64")

    with pytest.raises(ValueError, match="not base64"):
        await in_codec_thread(broken)
