"""Helpers shared by the store's tests and their helper processes (``worker.py``): jobs and
generations as the app builds them, a store on a URL, and a throwaway PostgreSQL cluster."""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.jobs import Destination, Job, Source
from bot.openai.backends import GeneratedImage, Generation
from bot.openai.models import Usage
from bot.request import ImageRequest
from bot.store import PriceTable, Store

POSTGRES_ENV = "IMAGINE_TEST_POSTGRES_URL"
REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("worker.py")
MODEL = "gpt-image-1-mini"  # low quality: $0.005 per 1024x1024 image (platform.md)
LOW_IMAGE_USD = 0.005


class PostgresUnavailable(Exception):
    """No PostgreSQL server can be used; the message says why."""


@dataclass
class Cluster:
    """A throwaway PostgreSQL cluster in ``directory``, listening on 127.0.0.1:``port``."""

    bin_dir: Path
    directory: Path
    port: int

    @property
    def url(self) -> str:
        """The superuser's URL (trust authentication, local only)."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """``initdb`` and ``pg_ctl start``; raises :class:`PostgresUnavailable` on failure."""
        data = self.directory / "data"
        _run_as_postgres(
            [
                str(self.bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run_as_postgres(
            [
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(self.directory / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )

    def stop(self) -> None:
        """Stop the server at once and delete its files."""
        with contextlib.suppress(PostgresUnavailable):
            _run_as_postgres(
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.directory / "data"),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ]
            )
        shutil.rmtree(self.directory, ignore_errors=True)


def _run_as_postgres(command: list[str]) -> None:
    if os.geteuid() == 0:  # initdb refuses to run as root
        command = ["runuser", "-u", "postgres", "--", *command]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PostgresUnavailable(f"{command[0]} could not run: {exc}") from None
    if done.returncode != 0:
        raise PostgresUnavailable(
            f"{' '.join(command[:5])} failed ({done.returncode}): {done.stderr.strip()[-500:]}"
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_throwaway_cluster() -> Cluster:
    """Start a cluster with the newest Debian PostgreSQL found; raises
    :class:`PostgresUnavailable` when none is installed or it cannot start."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    bin_dir = Path(found[-1]).parent if found else None
    if bin_dir is None and shutil.which("initdb"):
        bin_dir = Path(shutil.which("initdb") or "").parent
    if bin_dir is None:
        raise PostgresUnavailable(
            f"{POSTGRES_ENV} is unset and no initdb was found "
            "(install Debian's postgresql package, or set the variable)"
        )
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root and runuser is missing to start initdb")
    directory = Path(tempfile.mkdtemp(prefix="imagine-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = Cluster(bin_dir=bin_dir, directory=directory, port=_free_port())
    try:
        cluster.start()
    except PostgresUnavailable:
        cluster.stop()
        raise
    return cluster


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parents[1].name
    return tuple(int(part) for part in version.split(".") if part.isdigit())


async def open_store(url: str, **kwargs: Any) -> Store:
    """A :class:`Store` pricing :data:`MODEL` with the built-in table."""
    kwargs.setdefault("prices", PriceTable.default())
    kwargs.setdefault("model", MODEL)
    kwargs.setdefault("api", "images")
    return await Store.open(url, **kwargs)


def make_job(
    *,
    team: str = "T1",
    user: str = "U1",
    channel: str = "C1",
    n: int = 1,
    quality: str = "low",
    size: str = "1024x1024",
    prompt: str = "a red fox in snow",
    source: Source = "command",
    thread_ts: str | None = None,
    job_id: str | None = None,
) -> Job:
    """A job as the listeners build it (the preset frame is left out)."""
    request = ImageRequest(
        user_prompt=prompt,
        prompt=prompt,
        preset="general",
        n=n,
        size=size,
        quality=quality,
        background=None,
    )
    job = Job(
        request=request,
        destination=Destination(
            team_id=team, channel_id=channel, user_id=user, thread_ts=thread_ts
        ),
        source=source,
    )
    if job_id is not None:
        job = Job(request=request, destination=job.destination, source=source, id=job_id)
    return job


async def reserve(
    store: Store,
    job: Job,
    *,
    limit: int | None = None,
    budget: float | None = None,
    admins: tuple[str, ...] = (),
    now: datetime | None = None,
) -> None:
    """``store.check_and_reserve`` with the given limits (none by default)."""
    await store.reservations.check_and_reserve(
        job,
        user_daily_image_limit=limit,
        monthly_budget_usd=budget,
        admin_user_ids=frozenset(admins),
        now=now,
    )


def make_generation(job: Job, images: int, *, tokens: tuple[int, int] = (12, 30)) -> Generation:
    """What a backend returns for ``job``: ``images`` images with revised prompts and usage."""
    return Generation(
        images=[
            GeneratedImage(data=b"png", revised_prompt=f"{job.request.prompt}, variation {i + 1}")
            for i in range(images)
        ],
        usage=Usage(input_tokens=tokens[0], output_tokens=tokens[1], total_tokens=sum(tokens)),
    )


def worker_env() -> dict[str, str]:
    """The environment for a helper process: this checkout importable, nothing else added."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


async def spawn_worker(*args: str) -> asyncio.subprocess.Process:
    """Start ``tests/store/worker.py`` with ``args`` (pipes on stdin and stdout)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(WORKER),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=worker_env(),
    )
