"""The bounded job queue: places in line, refusal when full, graceful shutdown."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

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


# --- Fairness (issue #10) -------------------------------------------------------------------


def user_job(user: str, tag: str) -> Job:
    return Job(
        request=ImageRequest(tag, tag, "general", 1, "auto", "auto", None),
        destination=Destination("T1", "C1", user),
        source="command",
    )


class Recorder:
    """Jobs finish when their tag is released; records the order they started."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}

    async def run(self, job: Job) -> None:
        tag = job.request.user_prompt
        self.started.append(tag)
        gate = self.gates.setdefault(tag, asyncio.Event())
        await gate.wait()

    async def finish(self, tag: str) -> None:
        self.gates.setdefault(tag, asyncio.Event()).set()
        for _ in range(10):
            await asyncio.sleep(0)


async def test_a_heavy_user_does_not_delay_the_others() -> None:
    rec = Recorder()
    queue = JobQueue(rec.run, max_running=3, max_waiting=50, max_per_user=2)
    heavy = [queue.submit(user_job("UH", f"h{i}")) for i in range(6)]
    others = [queue.submit(user_job(f"U{i}", f"o{i}")) for i in range(3)]
    await asyncio.sleep(0)
    # The heavy user's first two run (their cap), the first other user takes the third slot.
    assert rec.started == ["h0", "h1", "o0"]
    assert heavy == [0, 0, 1, 2, 3, 4]
    # Places reflect the round-robin order: o1 and o2 come before the heavy user's fourth.
    assert others == [0, 2, 3]
    assert [j.request.user_prompt for j in queue.order()] == ["h2", "o1", "o2", "h3", "h4", "h5"]
    await rec.finish("o0")  # a slot frees: the heavy user is at the cap, so o1 goes
    assert rec.started[-1] == "o1"
    await rec.finish("h0")  # the heavy user's own slot frees: their next one goes
    assert rec.started[-1] == "h2"
    await rec.finish("o1")
    assert rec.started[-1] == "o2"
    assert queue.place(queue.order()[0].id) == 1


async def test_per_user_cap_holds_even_with_free_slots() -> None:
    rec = Recorder()
    queue = JobQueue(rec.run, max_running=10, max_waiting=10, max_per_user=2)
    positions = [queue.submit(user_job("U1", f"a{i}")) for i in range(4)]
    await asyncio.sleep(0)
    assert positions == [0, 0, 1, 2] and rec.started == ["a0", "a1"]
    assert queue.running_for(("T1", "U1")) == 2 and queue.waiting == 2
    await rec.finish("a1")
    assert rec.started == ["a0", "a1", "a2"]


async def test_cancel_waiting_and_running_jobs() -> None:
    rec = Recorder()
    queue = JobQueue(rec.run, max_running=1, max_waiting=10, max_per_user=2)
    running = user_job("U1", "r")
    waiting = [user_job(f"U{i}", f"w{i}") for i in range(2, 5)]
    queue.submit(running)
    for job in waiting:
        queue.submit(job)
    await asyncio.sleep(0)
    assert queue.cancel(waiting[0].id) == "waiting"
    assert waiting[0].control.cancelled and queue.waiting == 2
    assert queue.place(waiting[1].id) == 1  # moved up
    assert queue.cancel(running.id) == "running"
    for _ in range(10):
        await asyncio.sleep(0)
    assert running.control.cancelled and rec.started == ["r", "w3"]
    assert queue.get(running.id) is None and queue.cancel("nope") is None
    current = queue.get(waiting[1].id)
    assert current is not None
    current.control.delivering = True
    assert queue.cancel(current.id) == "delivering"  # too late: its images are being posted


@hsettings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("submit"), st.integers(0, 5)),  # a user's request
            st.tuples(st.just("cancel"), st.integers(0, 30)),  # the k-th waiting job leaves
        ),
        max_size=40,
    ),
    max_per_user=st.integers(1, 3),
)
def test_places_are_the_order_the_queue_will_start_jobs(
    steps: list[tuple[str, int]], max_per_user: int
) -> None:
    """Whatever arrives and leaves, ``submit``'s answer and every ``place`` are the job's
    position in :meth:`JobQueue.order`, the order waiting jobs start in."""

    async def scenario() -> None:
        queue = JobQueue(Gate().run, max_running=2, max_waiting=100, max_per_user=max_per_user)
        for index, (kind, value) in enumerate(steps):
            if kind == "submit":
                submitted = user_job(f"U{value}", f"j{index}")
                position = queue.submit(submitted)
                if position:
                    assert queue.order()[position - 1] is submitted
            else:
                waiting = queue.order()
                if waiting:
                    queue.cancel(waiting[value % len(waiting)].id)
            for place, waiting_job in enumerate(queue.order(), start=1):
                assert queue.place(waiting_job.id) == place
        await queue.shutdown(0)

    asyncio.run(scenario())
