"""A second app instance for the store's tests, run as its own OS process.

python tests/store/worker.py race URL KIND ROUNDS
    Open a Store on URL, print "ready", wait for a line on stdin, then for each round r try to
    reserve one image for the round's only slot: KIND "user" uses user U<r> with a daily
    limit of 1 image, KIND "budget" uses team T<r> with a budget of exactly one image.
    Prints "<r> ok" or "<r> refused" per round, then "done".

python tests/store/worker.py claim URL
    Open a Store on URL, print "ready", wait for a line on stdin, then claim the accepted
    requests of processes that are gone (Journal.claim) and print "resume <job id>" for each
    one handed to this process, then "done"; stays registered (alive) until a second line.

python tests/store/worker.py hold URL JOB_ID
    Open a Store on URL, reserve and start job JOB_ID, print "running", then wait forever
    (the test kills the process to simulate a crash mid-job).
"""

from __future__ import annotations

import asyncio
import sys

from bot.store import QuotaExceededError
from tests.store.support import LOW_IMAGE_USD, make_job, open_store


async def race(url: str, kind: str, rounds: int) -> None:
    """See the module docstring."""
    store = await open_store(url)
    try:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        for r in range(rounds):
            job = make_job(user=f"U{r}") if kind == "user" else make_job(team=f"T{r}")
            try:
                await store.reservations.check_and_reserve(
                    job,
                    user_daily_image_limit=1 if kind == "user" else None,
                    monthly_budget_usd=LOW_IMAGE_USD if kind == "budget" else None,
                    admin_user_ids=frozenset(),
                )
            except QuotaExceededError:
                print(f"{r} refused", flush=True)
            else:
                print(f"{r} ok", flush=True)
        print("done", flush=True)
    finally:
        await store.close()


async def hold(url: str, job_id: str) -> None:
    """See the module docstring."""
    store = await open_store(url)
    job = make_job(job_id=job_id, prompt="a lighthouse at dawn", channel="C9", thread_ts="1.2")
    await store.reservations.check_and_reserve(
        job, user_daily_image_limit=None, monthly_budget_usd=None, admin_user_ids=frozenset()
    )
    await store.history.started(job)
    print("running", flush=True)
    await asyncio.Event().wait()


async def claim(url: str) -> None:
    """See the module docstring."""
    store = await open_store(url)
    try:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        claimed = await store.journal.claim(max_age_s=3600)
        for job in claimed.resume:
            print(f"resume {job.job_id}", flush=True)
        print("done", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
    finally:
        await store.close()


def main(argv: list[str]) -> None:
    """Dispatch on ``argv[0]`` (``race``, ``claim`` or ``hold``)."""
    if argv[0] == "race":
        asyncio.run(race(argv[1], argv[2], int(argv[3])))
    elif argv[0] == "claim":
        asyncio.run(claim(argv[1]))
    elif argv[0] == "hold":
        asyncio.run(hold(argv[1], argv[2]))
    else:
        raise SystemExit(f"unknown command {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
