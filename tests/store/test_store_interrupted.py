"""A crash leaves a visible ``interrupted`` row, claimed once by the next start; live peers'
jobs are left alone."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update

from bot.store import Store
from bot.store.models import GenerationRow, InstanceRow
from tests.store.support import make_job, open_store, reserve, spawn_worker


async def test_a_store_closed_mid_job_leaves_an_interrupted_job(db_url: str) -> None:
    crashed = await open_store(db_url)
    running = make_job(n=2, prompt="a castle on a cloud", channel="C7", thread_ts="1.1")
    waiting = make_job(n=1, prompt="a second request")
    done = make_job(n=1, prompt="finished fine")
    for job in (running, waiting, done):
        await reserve(crashed, job)
    await crashed.history.started(running)
    await crashed.history.started(done)
    await crashed.history.finished(done, outcome="ok", error=None)
    await crashed.close()  # the process stops with two jobs unfinished

    restarted = await open_store(db_url)
    try:
        interrupted = await restarted.interrupted.claim()
        assert [job.job_id for job in interrupted] == [running.id, waiting.id]
        first = interrupted[0]
        assert (first.team_id, first.channel_id, first.user_id, first.thread_ts) == (
            "T1",
            "C7",
            "U1",
            "1.1",
        )
        assert first.prompt == "a castle on a cloud"
        entry = await restarted.regenerate.get(first.regenerate_key)
        assert entry is not None and entry.request == running.request
        assert (entry.channel_id, entry.thread_ts) == ("C7", "1.1")

        record = await restarted.history.record(running.id)
        assert record is not None
        assert record.status == "interrupted" and record.finished_at is not None
        assert record.images == 0  # nothing was generated: the reservation is given back
        assert (await restarted.history.record(done.id)).status == "ok"  # type: ignore[union-attr]
        assert await restarted.interrupted.claim() == []  # owners are told once
    finally:
        await restarted.close()


async def test_a_killed_process_leaves_an_interrupted_row_and_a_live_one_does_not(
    db_url: str,
) -> None:
    observer = await open_store(db_url)  # migrates the database before the worker starts
    worker = await spawn_worker("hold", db_url, "job-held-1")
    try:
        assert worker.stdout is not None
        line = await asyncio.wait_for(worker.stdout.readline(), timeout=60)
        assert line.strip() == b"running"

        # The worker is alive: its running job is not ours to claim.
        assert await observer.interrupted.claim() == []
        record = await observer.history.record("job-held-1")
        assert record is not None and record.status == "running"

        worker.send_signal(signal.SIGKILL)  # a crash: no cleanup at all
        await worker.wait()

        interrupted = await observer.interrupted.claim()
        assert [job.job_id for job in interrupted] == ["job-held-1"]
        assert interrupted[0].prompt == "a lighthouse at dawn"
        assert (await observer.history.record("job-held-1")).status == "interrupted"  # type: ignore[union-attr]
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
        await observer.close()


async def _register_peer(store: Store, peer_id: str, heartbeat_at: datetime) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(
            insert(InstanceRow).values(
                id=peer_id,
                host="another-host",
                pid=1,
                started_at=heartbeat_at,
                heartbeat_at=heartbeat_at,
            )
        )


async def test_a_peer_on_another_host_counts_as_dead_only_once_its_heartbeat_is_stale(
    store: Store,
) -> None:
    job = make_job()
    await reserve(store, job)
    now = datetime.now(UTC)
    peer = "f" * 32
    await _register_peer(store, peer, heartbeat_at=now)
    async with store.engine.begin() as conn:  # the job belongs to the peer
        await conn.execute(
            update(GenerationRow).where(GenerationRow.id == job.id).values(instance_id=peer)
        )

    assert await store.interrupted.claim(now=now + timedelta(seconds=60)) == []
    claimed = await store.interrupted.claim(now=now + timedelta(minutes=10))
    assert [j.job_id for j in claimed] == [job.id]
