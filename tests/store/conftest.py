"""Database fixtures for the store's tests: every test gets a fresh, empty database.

``db_url`` runs a test twice, against SQLite (a file in the test's temporary folder) and against
a real PostgreSQL server:

- ``IMAGINE_TEST_POSTGRES_URL`` (``postgresql+asyncpg://user:password@host:port/db``, a role
  allowed to create databases) when set, as ``.ci/run`` does;
- otherwise a throwaway cluster started here with Debian's ``initdb``/``pg_ctl``
  (``/usr/lib/postgresql/*/bin``, package ``postgresql``) on a free local port, as the
  ``postgres`` user when running as root, and removed afterwards;
- if neither is possible the PostgreSQL tests are skipped with the reason, except under CI
  (``CI=true``), where they fail.

Each PostgreSQL test runs in its own database (created and dropped around it).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.store import Store
from tests.store.support import (
    POSTGRES_ENV,
    PostgresUnavailable,
    open_store,
    start_throwaway_cluster,
)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required under CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unavailable: {reason}")


def _check_reachable(url: str) -> None:
    parsed = make_url(url)
    host, port = parsed.host or "127.0.0.1", parsed.port or 5432
    try:
        with socket.create_connection((host, port), timeout=5):
            pass
    except OSError as exc:
        raise PostgresUnavailable(f"{POSTGRES_ENV} points at {host}:{port}: {exc}") from None


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A PostgreSQL URL whose role may create databases (see the module docstring)."""
    url = os.environ.get(POSTGRES_ENV)
    cluster = None
    try:
        if url:
            _check_reachable(url)
        else:
            cluster = start_throwaway_cluster()
            url = cluster.url
    except PostgresUnavailable as exc:
        _unavailable(str(exc))
    assert url is not None
    yield url
    if cluster is not None:
        cluster.stop()


@pytest.fixture
async def postgres_url(postgres_admin_url: str) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import asyncpg

    admin = make_url(postgres_admin_url)
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"imagine_test_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield admin.set(database=name).render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file URL in the test's own folder (the file does not exist yet)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'imagine.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """The test runs once per backend, each time on a fresh database."""
    if request.param == "sqlite":
        return sqlite_url
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    """An open store on a fresh database, closed after the test."""
    opened = await open_store(db_url)
    yield opened
    await opened.close()
