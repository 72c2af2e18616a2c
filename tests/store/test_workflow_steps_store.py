"""Workflow step executions (issue #9): claimed once across instances; those a stopped process
left running are handed to the next start once, with their token; live peers' are left alone."""

from __future__ import annotations

import asyncio

from tests.store.support import open_store


async def test_an_execution_is_claimed_once_across_instances(db_url: str) -> None:
    first, second = await open_store(db_url), await open_store(db_url)
    try:
        claims = await asyncio.gather(
            first.workflow_steps.claim("Fx1", team_id="T1", job_id="j1", token="xwfp-1"),
            second.workflow_steps.claim("Fx1", team_id="T1", job_id="j2", token="xwfp-1"),
        )
        assert sorted(claims) == [False, True]
        assert await first.workflow_steps.status("Fx1") == "running"
        owner = first if claims[0] else second
        assert await owner.workflow_steps.claim_interrupted() == []  # its own step is alive
    finally:
        await first.close()
        await second.close()


async def test_steps_left_running_are_handed_over_once_with_their_token(db_url: str) -> None:
    stopped = await open_store(db_url)
    steps = stopped.workflow_steps
    await steps.claim("Fx1", team_id="T1", job_id="j1", token="xwfp-running", event_id="Ev1")
    await steps.claim("Fx2", team_id="T1", job_id="j2", token="xwfp-done")
    await steps.finish("Fx2", "completed")
    await stopped.close()  # Fx1 never ended

    restarted = await open_store(db_url)
    try:
        [interrupted] = await restarted.workflow_steps.claim_interrupted()
        assert (interrupted.execution_id, interrupted.job_id, interrupted.token) == (
            "Fx1",
            "j1",
            "xwfp-running",
        )
        assert await restarted.workflow_steps.claim_interrupted() == []  # once
        assert await restarted.workflow_steps.status("Fx1") == "interrupted"
        assert await restarted.workflow_steps.status("Fx2") == "completed"
        # A retry of the interrupted execution is still not run again.
        assert not await restarted.workflow_steps.claim(
            "Fx1", team_id="T1", job_id="j3", token=None
        )
    finally:
        await restarted.close()
