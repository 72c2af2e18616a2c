"""The journal of accepted requests (bot/store/journal.py): written before the ack, removed when
done, and taken over once, by exactly one process, when their process is gone; on SQLite and
PostgreSQL, including two processes claiming at once."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from datetime import timedelta
from typing import cast

from sqlalchemy import Table, update

from bot.job_payload import job_from, needs_inputs, payload_of
from bot.jobs import Job
from bot.store import Store
from bot.store.models import InstanceRow
from bot.store.quota import utc_now
from tests.store.support import make_job, open_store, spawn_worker

I = cast(Table, InstanceRow.__table__)  # noqa: E741


async def accept(store, job, **kwargs) -> None:  # type: ignore[no-untyped-def]
    payload, resumable = payload_of(job)
    entry = store.journal.entry(
        job.id,
        team_id=job.destination.team_id,
        user_id=job.destination.user_id,
        payload=payload,
        resumable=kwargs.pop("resumable", resumable),
        **kwargs,
    )
    await store.journal.accept(entry)


async def test_accept_deliver_done_in_group_commits(db_url: str) -> None:
    store = await open_store(db_url)
    try:
        jobs = [make_job(user=f"U{i}") for i in range(30)]
        await asyncio.gather(*(accept(store, job) for job in jobs))  # one burst
        assert sorted(await store.journal.owned()) == sorted(job.id for job in jobs)
        await store.journal.delivering(jobs[0].id)
        assert await store.journal.state_of(jobs[0].id) == "delivering"
        await asyncio.gather(*(store.journal.done(job.id) for job in jobs[:10]))
        assert len(await store.journal.owned()) == 20
        assert await store.journal.state_of(jobs[0].id) is None
    finally:
        await store.close()


async def test_claim_takes_over_a_gone_process_requests(db_url: str) -> None:
    gone = await open_store(db_url)
    now = utc_now()
    fresh = make_job(user="U1", prompt="a fresh fox", thread_ts="1.2")
    running = make_job(user="U2", prompt="a running fox")
    old = make_job(user="U3", prompt="an old fox")
    posting = make_job(user="U4", prompt="a fox being posted")
    in_memory = make_job(user="U5", prompt="a fox from memory")
    await accept(gone, fresh)
    await accept(gone, running)
    await gone.history.started(running)  # its generations row: running, this process's
    await accept(gone, old, now=now - timedelta(hours=2))
    await accept(gone, posting)
    await gone.journal.delivering(posting.id)
    await gone.history.started(posting)
    await accept(gone, in_memory, resumable=False)
    await gone.close()  # unregistered: gone

    live = await open_store(db_url)
    try:
        claim = await live.journal.claim(max_age_s=1800)
        assert {c.job_id for c in claim.resume} == {fresh.id, running.id}
        lost = {c.job_id: c.noticed_elsewhere for c in claim.lost}
        assert lost == {old.id: False, posting.id: True, in_memory.id: False}
        rebuilt = job_from(next(c.payload for c in claim.resume if c.job_id == fresh.id))
        assert rebuilt is not None and rebuilt.control.resumed
        assert (rebuilt.id, rebuilt.request, rebuilt.destination) == (
            fresh.id,
            fresh.request,
            fresh.destination,
        )
        record = await live.history.record(running.id)
        assert record is not None and record.status == "queued"  # ready to run again here
        # The posting one is left to the interrupted-job notice; the resumed ones are not.
        interrupted = await live.interrupted.claim()
        assert [job.job_id for job in interrupted] == [posting.id]
        assert sorted(await live.journal.owned()) == sorted([fresh.id, running.id])
        again = await live.journal.claim(max_age_s=1800)  # nothing twice
        assert again.resume == [] and again.lost == []
    finally:
        await live.close()


async def test_a_live_process_keeps_its_requests(db_url: str) -> None:
    first = await open_store(db_url)
    second = await open_store(db_url)
    # Both run in this test's process, which counts as a restart of the first; make the first
    # look like another live process on this host (its pid: our parent, which is running).
    async with first.engine.begin() as conn:
        await conn.execute(update(I).where(I.c.id == first.instance_id).values(pid=os.getppid()))
    try:
        await accept(first, make_job())
        claim = await second.journal.claim(max_age_s=1800)
        assert claim.resume == [] and claim.lost == []
    finally:
        await first.close()
        await second.close()


async def test_two_processes_claim_each_request_once(db_url: str) -> None:
    gone = await open_store(db_url)
    jobs = [make_job(user=f"U{i % 7}", prompt=f"fox {i}") for i in range(40)]
    await asyncio.gather(*(accept(gone, job) for job in jobs))
    await gone.close()
    workers = [await spawn_worker("claim", db_url) for _ in range(2)]
    try:
        for worker in workers:
            assert worker.stdout is not None
            line = await asyncio.wait_for(worker.stdout.readline(), timeout=60)
            assert line.strip() == b"ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(b"go\n")
            await worker.stdin.drain()
        claimed = await asyncio.wait_for(
            asyncio.gather(*(_claimed(worker) for worker in workers)), timeout=120
        )
        for worker in workers:  # both stayed alive until both had claimed
            assert worker.stdin is not None
            worker.stdin.write(b"exit\n")
            await worker.stdin.drain()
        await asyncio.wait_for(asyncio.gather(*(worker.wait() for worker in workers)), 60)
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
    assert [worker.returncode for worker in workers] == [0, 0]
    assert sorted(claimed[0] + claimed[1]) == sorted(job.id for job in jobs)
    assert not set(claimed[0]) & set(claimed[1])


async def _claimed(worker: asyncio.subprocess.Process) -> list[str]:
    """The job ids a ``claim`` worker printed, up to its "done"."""
    assert worker.stdout is not None
    ids = []
    while (line := (await worker.stdout.readline()).decode().strip()) != "done":
        assert line.startswith("resume "), line
        ids.append(line.split()[1])
    return ids


def test_a_job_from_images_round_trips_unless_its_images_are_only_in_memory() -> None:
    """An edit keeps its parent and image, a request with people's images their file ids: both
    are rebuilt without inputs, which :func:`bot.edits.inputs_again` makes again; images
    reachable only in memory cannot be rebuilt."""
    from bot.openai.generation import EditInputs

    async def images() -> list:  # type: ignore[type-arg]
        return []

    base = make_job(prompt="make it blue")
    edit = dataclasses.replace(
        base,
        source="edit",
        inputs=EditInputs(previous_response_id="resp_1", images=images, action="edit"),
        parent_id="abc123",
        parent_image=2,
        image_named=True,
    )
    payload, resumable = payload_of(edit)
    rebuilt = job_from(json.loads(json.dumps(payload)))
    assert resumable and rebuilt is not None and needs_inputs(rebuilt)
    assert (rebuilt.parent_id, rebuilt.parent_image, rebuilt.image_named) == ("abc123", 2, True)
    assert rebuilt.source == "edit" and rebuilt.inputs is None

    with_files = dataclasses.replace(
        base, inputs=EditInputs(images=images), input_files=("F1", "F2")
    )
    payload, resumable = payload_of(with_files)
    rebuilt = job_from(json.loads(json.dumps(payload)))
    assert resumable and rebuilt is not None and needs_inputs(rebuilt)
    assert rebuilt.input_files == ("F1", "F2") and rebuilt.parent_id is None

    plain = job_from(payload_of(base)[0])
    assert plain is not None and not needs_inputs(plain)

    in_memory = dataclasses.replace(base, inputs=EditInputs(images=images))
    assert payload_of(in_memory)[1] is False


async def test_a_cancel_request_from_another_instance(db_url: str) -> None:
    """Pressed on an instance that does not run the request: only its owner may, not once its
    images are being posted; once marked, the instance running it finds it and may not post."""
    runner = await open_store(db_url)
    other = await open_store(db_url)
    try:
        mine = make_job(user="U1", prompt="a cancelled fox")
        posting = make_job(user="U1", prompt="a fox being posted")
        await accept(runner, mine)
        await accept(runner, posting)
        assert await runner.journal.delivering(posting.id) is True
        ask = other.journal.request_cancel
        stranger = await ask(mine.id, team_id="T1", user_id="U2")
        assert (stranger.outcome, stranger.owner_id) == ("not_yours", "U1")
        elsewhere = await ask(mine.id, team_id="T2", user_id="U1")  # same user id, other team
        assert elsewhere.outcome == "not_yours"
        assert await runner.journal.cancel_requested() == []
        late = await ask(posting.id, team_id="T1", user_id="U1")
        assert late.outcome == "delivering"
        assert (await ask("nope", team_id="T1", user_id="U1")).outcome == "unknown"
        asked = await ask(mine.id, team_id="T1", user_id="U1")
        assert (asked.outcome, asked.user_prompt) == ("requested", "a cancelled fox")
        assert await runner.journal.cancel_requested() == [mine.id]
        assert await other.journal.cancel_requested() == []  # only the runner's own requests
        assert await runner.journal.delivering(mine.id) is False  # nothing may be posted
        assert await runner.journal.state_of(mine.id) == "waiting"
    finally:
        await runner.close()
        await other.close()


async def test_a_claim_drops_requests_cancelled_while_their_process_was_gone(db_url: str) -> None:
    gone = await open_store(db_url)
    cancelled, kept = make_job(user="U1", prompt="cancelled"), make_job(user="U2", prompt="kept")
    await accept(gone, cancelled)
    await gone.history.started(cancelled)
    await accept(gone, kept)
    await gone.close()

    live = await open_store(db_url)
    try:
        asked = await live.journal.request_cancel(cancelled.id, team_id="T1", user_id="U1")
        assert asked.outcome == "requested"
        claim = await live.journal.claim(max_age_s=1800)
        assert [c.job_id for c in claim.resume] == [kept.id] and claim.lost == []
        assert await live.journal.state_of(cancelled.id) is None
        record = await live.history.record(cancelled.id)
        assert record is not None and record.status == "cancelled"
    finally:
        await live.close()


async def test_a_reservation_writes_its_journal_entry_in_its_own_transaction(db_url: str) -> None:
    """With quotas on, an accepted request's journal entry is committed with its reservation
    (one commit before the ack); a refused request leaves none."""
    from bot.store.quota import QuotaExceededError

    store = await open_store(db_url)
    try:
        first, second = make_job(user="U1", n=2), make_job(user="U1", n=2)

        results = await asyncio.gather(
            reserve(store, first, limit=3), reserve(store, second, limit=3), return_exceptions=True
        )
        assert results[0] is None and isinstance(results[1], QuotaExceededError)
        assert await store.journal.owned() == [first.id]
        assert await store.journal.state_of(first.id) == "waiting"
        record = await store.history.record(first.id)
        assert record is not None and record.status == "queued"
    finally:
        await store.close()


async def test_a_request_cancelled_while_its_process_was_gone_gives_back_its_reservation(
    db_url: str,
) -> None:
    """Its owner pressed Cancel after its process died: the claim that drops it also gives
    back the images it reserved, so the owner's next request fits the daily limit again."""
    from bot.store.quota import QuotaExceededError

    gone = await open_store(db_url)
    cancelled = make_job(user="U1", prompt="cancel me")
    await reserve(gone, cancelled, limit=1)
    await gone.close()

    live = await open_store(db_url)
    try:
        try:
            await reserve(live, make_job(user="U1", prompt="too many"), limit=1)
            raise AssertionError("the daily limit of 1 should be used up")
        except QuotaExceededError:
            pass
        asked = await live.journal.request_cancel(cancelled.id, team_id="T1", user_id="U1")
        assert asked.outcome == "requested"
        await live.journal.claim(max_age_s=1800)
        record = await live.history.record(cancelled.id)
        assert record is not None and (record.status, record.images) == ("cancelled", 0)
        await reserve(live, make_job(user="U1", prompt="next"), limit=1)  # fits again
    finally:
        await live.close()


async def reserve(store: Store, job: Job, *, limit: int) -> None:
    """Reserve ``job`` (team T1, user U1) against a daily limit of ``limit`` images, its journal
    entry written in the reservation's transaction; raises ``QuotaExceededError`` when refused."""
    payload, resumable = payload_of(job)
    entry = store.journal.entry(
        job.id, team_id="T1", user_id="U1", payload=payload, resumable=resumable
    )
    await store.reservations.check_and_reserve(
        job,
        user_daily_image_limit=limit,
        monthly_budget_usd=None,
        admin_user_ids=frozenset(),
        journal_entry=entry,
    )
