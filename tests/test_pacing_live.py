"""The pacer in front of a local OpenAI that enforces a rate limit (FakeOpenAI with a shortened
minute): calls wait instead of failing, 429s go back in line without using retries, waiting
does not eat the job's deadline, MAX_WAIT_S gives up, and the owner is told once."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
from pydantic import SecretStr

from bot import errors
from bot.capabilities import capabilities_for
from bot.openai import OpenAIClient, ResponsesBackend
from bot.openai.pacing import JobClock, Pacer, Ticket, current_ticket
from bot.request import ImageRequest
from tests.conftest import OPENAI_KEY
from tests.fakes import FakeOpenAI
from tests.fakes.openai_limits import RateLimits

REQUEST = ImageRequest("a fox", "a fox", "general", 1, "1024x1024", "low", None)


def backend_for(oai: FakeOpenAI, pacer: Pacer, *, retries: int = 0) -> ResponsesBackend:
    client = OpenAIClient(
        api_key=SecretStr(OPENAI_KEY), base_url=oai.base_url, pacer=pacer, max_retries=retries
    )
    return ResponsesBackend(client, model="gpt-4.1-mini", caps=capabilities_for("gpt-image-2"))


async def test_a_burst_waits_for_capacity_instead_of_failing() -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY) as oai:
        oai.limits = RateLimits(6, period_s=2.0)  # a "minute" of 2 s: 6 at once, then 3/s
        pacer = Pacer(period_s=2.0)
        backend = backend_for(oai, pacer)  # no retries: any 429 that escaped would fail a call
        started = time.monotonic()
        results = await asyncio.gather(*(backend.generate(REQUEST, user="u") for _ in range(12)))
        elapsed = time.monotonic() - started
    assert all(len(result.images) == 1 for result in results)
    assert oai.limits.refused == 0 and oai.limits.allowed == 12
    assert 1.5 <= elapsed < 6, elapsed  # (12 - 6) / 3 per second = 2 s of pacing


async def test_rate_limited_answers_are_requeued_without_using_retries() -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY) as oai:
        oai.fail_next(
            "/responses",
            status=429,
            code="rate_limit_exceeded",
            headers={"retry-after-ms": "100", "retry-after": "1"},
            message="Rate limit reached. Please try again in 100ms.",
            times=3,
        )
        pacer = Pacer()
        result = await backend_for(oai, pacer).generate(REQUEST, user="u")
    assert len(result.images) == 1
    assert pacer.rate_limited == 3 and len(oai.requests_to("/responses")) == 4


async def test_insufficient_quota_is_never_retried() -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY) as oai:
        oai.fail_next("/responses", status=429, code="insufficient_quota")
        pacer = Pacer()
        with pytest.raises(errors.InsufficientQuotaError):
            await backend_for(oai, pacer, retries=2).generate(REQUEST, user="u")
    assert len(oai.requests_to("/responses")) == 1 and pacer.rate_limited == 0


async def test_waiting_does_not_consume_the_deadline_and_is_told_once() -> None:
    told: list[float] = []

    async def notify(estimate: float) -> None:
        told.append(estimate)

    async with FakeOpenAI(api_key=OPENAI_KEY) as oai:
        oai.fail_next(
            "/responses", status=429, code="rate_limit_exceeded", headers={"retry-after-ms": "800"},
            message="Rate limit reached. Please try again in 800ms.", times=2,
        )  # fmt: skip
        pacer = Pacer(notice_after_s=0.3)
        backend = backend_for(oai, pacer)
        async with asyncio.timeout(None) as deadline:
            clock = JobClock(deadline, 0.6)  # shorter than the 1.6 s spent waiting
            ticket = Ticket(max_wait_s=30, notify=notify, clock=clock)
            token = current_ticket.set(ticket)
            try:
                result = await backend.generate(REQUEST, user="u")
            finally:
                current_ticket.reset(token)
    assert len(result.images) == 1
    assert ticket.waited_s >= 1.5
    assert len(told) == 1 and 0 < told[0] <= 1.0  # once, with an estimate


async def test_the_deadline_still_runs_once_admitted() -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY, latency_s=1.0) as oai:
        backend = backend_for(oai, Pacer())
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(None) as deadline:
                ticket = Ticket(max_wait_s=30, clock=JobClock(deadline, 0.3))
                current_ticket.set(ticket)
                await backend.generate(REQUEST, user="u")


async def test_max_wait_gives_up_without_sending() -> None:
    async with FakeOpenAI(api_key=OPENAI_KEY) as oai:
        oai.fail_next(
            "/responses", status=429, code="rate_limit_exceeded", headers={"retry-after": "20"}
        )
        backend = backend_for(oai, Pacer())
        ticket = Ticket(max_wait_s=0.4)
        current_ticket.set(ticket)
        started = time.monotonic()
        with pytest.raises(errors.CapacityWaitError) as info:
            await backend.generate(REQUEST, user="u")
    assert info.value.max_wait_s == 0.4
    assert time.monotonic() - started < 3
    assert len(oai.requests_to("/responses")) == 1  # the call that would fail was never sent


def test_a_jobs_calls_waiting_side_by_side_count_once() -> None:
    """The calls of a job with n > 1 wait together: MAX_WAIT_S bounds the job's time spent
    waiting (seconds on the pacer's clock), not the sum of its calls' waits."""
    ticket = Ticket(max_wait_s=10)
    ticket.enter_wait(0.0)
    ticket.enter_wait(0.0)
    assert ticket.waited(4.0) == 4.0
    ticket.leave_wait(4.0, admitted=True)
    assert ticket.waited(5.0) == 5.0  # the other call still waits
    ticket.leave_wait(6.0, admitted=True)
    assert ticket.waited(100.0) == 6.0
    ticket.enter_wait(100.0)  # a 429 sends a call back in line
    ticket.leave_wait(101.0, admitted=True)
    assert ticket.waited(200.0) == 7.0


async def test_images_made_are_kept_when_another_call_gives_up_waiting() -> None:
    """n=3 under a limit of 2 images a (2 s) minute, MAX_WAIT_S 0.3 s: the third call gives up
    waiting; the two images already made (and paid for) are still delivered."""
    async with FakeOpenAI(api_key=OPENAI_KEY) as oai:
        oai.limits = RateLimits(2, period_s=2.0)
        pacer = Pacer(images_per_minute=2, period_s=2.0)
        token = current_ticket.set(Ticket(max_wait_s=0.3))
        try:
            result = await backend_for(oai, pacer).generate(replace(REQUEST, n=3), user="u")
        finally:
            current_ticket.reset(token)
    assert len(result.images) == 2
    assert [type(f) for f in result.failures] == [errors.CapacityWaitError]


async def test_once_stopped_no_call_is_admitted() -> None:
    """At shutdown (bot.server) the pacer admits nothing more, even with capacity to spare: the
    waiting job is cancelled at the end of the grace and resumes after the restart."""
    pacer = Pacer(images_per_minute=60)
    await pacer.admit(1)  # capacity is there
    pacer.stop()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await pacer.admit(1)
    assert pacer.waiting == 0  # the cancelled call left the line
