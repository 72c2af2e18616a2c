"""Two app instances (two OS processes) on one database: when one slot is left, exactly one
request gets it. Run against PostgreSQL and SQLite, for the per-user limit and the budget."""

from __future__ import annotations

import asyncio

import pytest

from tests.store.support import open_store, spawn_worker

ROUNDS = 25


async def _run_race(url: str, kind: str) -> list[list[str]]:
    setup = await open_store(url)  # migrate once, before the workers start
    await setup.close()
    workers = [await spawn_worker("race", url, kind, str(ROUNDS)) for _ in range(2)]
    try:
        for worker in workers:
            assert worker.stdout is not None
            ready = await asyncio.wait_for(worker.stdout.readline(), timeout=60)
            assert ready.strip() == b"ready"
        for worker in workers:  # release both at once
            assert worker.stdin is not None
            worker.stdin.write(b"go\n")
            await worker.stdin.drain()
        outputs = await asyncio.wait_for(
            asyncio.gather(*(worker.communicate() for worker in workers)), timeout=120
        )
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
    assert [worker.returncode for worker in workers] == [0, 0]
    return [stdout.decode().split("\n") for stdout, _ in outputs]


@pytest.mark.parametrize("kind", ["user", "budget"])
async def test_two_processes_one_slot_exactly_one_passes(db_url: str, kind: str) -> None:
    lines = await _run_race(db_url, kind)

    results: dict[int, list[str]] = {r: [] for r in range(ROUNDS)}
    for output in lines:
        assert "done" in output
        for line in output:
            if line and line != "done":
                round_, verdict = line.split()
                results[int(round_)].append(verdict)
    assert all(sorted(verdicts) == ["ok", "refused"] for verdicts in results.values()), results

    check = await open_store(db_url)
    try:
        for r in range(ROUNDS):
            if kind == "user":
                assert (await check.reports.usage("T1", f"U{r}")).today.images == 1
            else:
                assert (await check.reports.team_usage(f"T{r}")).month.images == 1
    finally:
        await check.close()
