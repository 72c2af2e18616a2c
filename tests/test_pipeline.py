"""The payload slots that bound how many jobs hold image bytes at once."""

from __future__ import annotations

import asyncio

from bot.openai.backends import GeneratedImage, Generation
from bot.pipeline import PayloadLease


async def test_a_lease_takes_one_slot_however_often_it_is_acquired() -> None:
    slots = asyncio.Semaphore(1)
    first, second = PayloadLease(slots), PayloadLease(slots)
    await first.acquire()
    await first.acquire()  # n concurrent answers of one job share its slot
    waiting = asyncio.create_task(second.acquire())
    await asyncio.sleep(0.01)
    assert not waiting.done()  # the second job waits for the slot
    first.release()
    await asyncio.wait_for(waiting, 1)
    second.release()
    second.release()  # safe twice
    assert not slots.locked()


async def test_releasing_while_waiting_gives_nothing_back_twice() -> None:
    slots = asyncio.Semaphore(1)
    holder, waiter = PayloadLease(slots), PayloadLease(slots)
    await holder.acquire()
    pending = asyncio.create_task(waiter.acquire())
    await asyncio.sleep(0.01)
    waiter.release()  # the job ended (deadline) before it got a slot
    await asyncio.sleep(0.01)
    assert pending.cancelled() or pending.done()
    holder.release()
    assert not slots.locked()
    await asyncio.wait_for(slots.acquire(), 1)  # exactly one slot, still usable


def test_generation_without_data_keeps_what_the_store_needs() -> None:
    generation = Generation(images=[GeneratedImage(b"x" * 1000, "revised", "png")])
    light = generation.without_data()
    assert light.images[0].data == b"" and light.images[0].revised_prompt == "revised"
    assert generation.images[0].data  # the original is untouched
