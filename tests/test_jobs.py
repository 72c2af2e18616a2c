"""The bounded job queue: places in line, refusal when full, graceful shutdown."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import QueueFullError, ShuttingDownError
from bot.jobs import Destination, Job, JobQueue
from bot.request import ImageRequest

REQUEST = ImageRequest("a fox", "a fox", "general", 1, "auto", "auto", None)


def job(name: str) -> Job:
    return Job(request=REQUEST, destination=Destination("T1", "C1", name), source="command")


class Gate:
    """A job runner whose jobs finish when released."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.release = asyncio.Event()

    async def run(self, job: Job) -> None:
        self.started.append(job.destination.user_id)
        await self.release.wait()
        self.finished.append(job.destination.user_id)


async def test_places_in_line_and_fifo_order() -> None:
    gate = Gate()
    queue = JobQueue(gate.run, max_running=2, max_waiting=3)
    positions = [queue.submit(job(f"U{i}")) for i in range(5)]
    assert positions == [0, 0, 1, 2, 3]
    await asyncio.sleep(0)
    assert gate.started == ["U0", "U1"] and (queue.running, queue.waiting) == (2, 3)
    gate.release.set()
    for _ in range(50):
        await asyncio.sleep(0)
    assert gate.finished == ["U0", "U1", "U2", "U3", "U4"]
    assert (queue.running, queue.waiting) == (0, 0)


async def test_full_queue_refuses() -> None:
    gate = Gate()
    queue = JobQueue(gate.run, max_running=1, max_waiting=1)
    queue.submit(job("U0"))
    queue.submit(job("U1"))
    with pytest.raises(QueueFullError) as info:
        queue.submit(job("U2"))
    assert info.value.limit == 1
    gate.release.set()


async def test_a_crashing_job_is_logged_and_frees_its_slot(caplog) -> None:
    ran: list[str] = []

    async def run(job: Job) -> None:
        ran.append(job.destination.user_id)
        if job.destination.user_id == "U0":
            raise RuntimeError("bug")

    queue = JobQueue(run, max_running=1, max_waiting=5)
    queue.submit(job("U0"))
    queue.submit(job("U1"))
    for _ in range(20):
        await asyncio.sleep(0)
    assert ran == ["U0", "U1"]
    assert "job" in caplog.text and "crashed" in caplog.text and "RuntimeError" in caplog.text


async def test_shutdown_lets_running_jobs_finish_and_refuses_new_ones() -> None:
    gate = Gate()
    queue = JobQueue(gate.run, max_running=1, max_waiting=5)
    queue.submit(job("U0"))
    queue.submit(job("U1"))
    await asyncio.sleep(0)
    shutdown = asyncio.create_task(queue.shutdown(grace_s=5))
    await asyncio.sleep(0)
    with pytest.raises(ShuttingDownError):
        queue.submit(job("U2"))
    gate.release.set()
    unfinished = await shutdown
    assert gate.finished == ["U0"]  # the running job finished
    assert [j.destination.user_id for j in unfinished] == ["U1"]  # the waiting one is reported


async def test_shutdown_cancels_jobs_past_the_grace_period() -> None:
    gate = Gate()
    queue = JobQueue(gate.run, max_running=2, max_waiting=0)
    queue.submit(job("U0"))
    await asyncio.sleep(0)
    unfinished = await queue.shutdown(grace_s=0.05)
    assert [j.destination.user_id for j in unfinished] == ["U0"]
    assert gate.finished == [] and queue.running == 0
