"""Migrations from an empty database: at start (Store.open), by command, and in step with the
models."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, make_url

from bot.errors import ConfigError
from bot.store import database
from bot.store.models import Base
from tests.store.support import open_store, worker_env

TABLES = {"alembic_version", "generations", "usage_counters", "regenerate_keys", "instances"}
TABLES |= {"workspace_settings", "settings_changes"}  # issue #11 (settings)
TABLES |= {"workflow_steps"}  # issue #9
TABLES |= {"slack_installations", "slack_bots", "slack_oauth_states"}  # issue #11 (OAuth)
TABLES |= {"accepted_jobs"}  # issue #10
TABLES |= {"conversation_turns", "seen_posts"}  # issue #8
HEAD = ScriptDirectory.from_config(database.alembic_config()).get_current_head()  # one head


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_open_migrates_an_empty_database_to_head(db_url: str) -> None:
    engine = database.create_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == set()
        assert await database.current_revision(engine) is None
    finally:
        await engine.dispose()

    store = await open_store(db_url)
    try:
        async with store.engine.connect() as conn:
            assert await conn.run_sync(_tables) == TABLES
            assert await conn.run_sync(_differences) == []  # models and migrations agree
        assert await database.current_revision(store.engine) == HEAD
    finally:
        await store.close()

    again = await open_store(db_url)  # a second start finds nothing to do
    await again.close()


async def test_downgrade_to_base_and_back(db_url: str) -> None:
    engine = database.create_engine(db_url)
    try:
        await database.upgrade(engine)
        await database.downgrade(engine, "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == {"alembic_version"}
        await database.upgrade(engine)
        assert await database.current_revision(engine) == HEAD
    finally:
        await engine.dispose()


async def test_instances_starting_together_migrate_once(db_url: str) -> None:
    stores = await asyncio.gather(*(open_store(db_url) for _ in range(3)))
    for store in stores:
        await store.close()


async def test_sqlite_connects_while_another_connection_writes(tmp_path: Path) -> None:
    # Switching a fresh file to WAL needs an exclusive lock, and SQLite refuses it at once
    # (no busy timeout) while another instance holds the write lock, e.g. while migrating.
    path = tmp_path / "imagine.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("CREATE TABLE t (x)")
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (1)")
    engine = database.create_engine(f"sqlite+aiosqlite:///{path}")
    reader = engine.execution_options(imagine_read_only=True)  # no write lock to wait for
    try:
        async with reader.connect() as connection:
            mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
        assert mode == "delete"  # this connection works without WAL …
        writer.rollback()
        await engine.dispose()
        async with engine.connect() as connection:  # … and the next one switches the file
            mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
        assert mode == "wal"
    finally:
        writer.close()
        await engine.dispose()


async def _command(*args: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.store",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_python_m_bot_store_upgrade_reads_database_url(db_url: str, tmp_path: Path) -> None:
    env = worker_env() | {"DATABASE_URL": db_url}  # no Slack or OpenAI settings needed
    code, out, err = await _command("current", cwd=tmp_path, env=env)
    assert (code, err) == (0, "")
    assert "empty (no revision)" in out

    code, out, err = await _command("upgrade", cwd=tmp_path, env=env)
    assert (code, err) == (0, "")
    assert out.strip().endswith(f"upgraded to {HEAD}")
    password = make_url(db_url).password
    if password:
        assert password not in out  # the URL is shown with its password hidden

    engine = database.create_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == TABLES
    finally:
        await engine.dispose()


async def test_python_m_bot_store_defaults_to_imagine_db_here(tmp_path: Path) -> None:
    env = {k: v for k, v in worker_env().items() if k != "DATABASE_URL"}
    code, out, _ = await _command("upgrade", cwd=tmp_path, env=env)
    assert code == 0, out
    assert (tmp_path / "imagine.db").exists()


async def test_python_m_bot_store_refuses_an_unknown_database(tmp_path: Path) -> None:
    env = worker_env() | {"DATABASE_URL": "mysql://u:p@localhost/imagine"}
    code, _, err = await _command("upgrade", cwd=tmp_path, env=env)
    assert code == 2
    assert "DATABASE_URL is invalid" in err


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/imagine", "postgresql+asyncpg://u:p@db:5432/imagine"),
        ("postgresql://u:p@db/imagine", "postgresql+asyncpg://u:p@db/imagine"),
        ("postgresql+asyncpg://u:p@db/imagine", "postgresql+asyncpg://u:p@db/imagine"),
        ("sqlite:////data/imagine.db", "sqlite+aiosqlite:////data/imagine.db"),
    ],
)
def test_database_urls_are_normalised(given: str, expected: str) -> None:
    assert database.resolve_url(given) == expected


def test_no_database_url_means_imagine_db_in_the_working_directory(tmp_path: Path) -> None:
    assert database.resolve_url(None) == f"sqlite+aiosqlite:///{tmp_path / 'imagine.db'}"
    assert database.resolve_url("  ") == f"sqlite+aiosqlite:///{tmp_path / 'imagine.db'}"


def test_an_unsupported_database_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL is invalid"):
        database.resolve_url("mysql+aiomysql://u:p@db/imagine")
