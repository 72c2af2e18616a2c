"""Database URL, engine and migrations.

- ``DATABASE_URL`` unset: SQLite in the file ``imagine.db`` of the working directory, created on
  first start (driver aiosqlite).
- ``postgresql+asyncpg://user:password@host:5432/db`` for PostgreSQL; ``postgres://`` and
  ``postgresql://`` (as hosting providers print them) are read as asyncpg URLs, and
  ``sqlite:///path`` as aiosqlite.

SQLite connections run in WAL mode with ``BEGIN IMMEDIATE`` transactions (SQLAlchemy's
documented recipe, "Enabling Non-Legacy SQLite Transactional Modes"), so a transaction takes the
write lock when it starts and concurrent writers queue on the busy timeout instead of failing.
PostgreSQL runs at its default READ COMMITTED; the store's limit checks rely on row locks taken
by ``INSERT … ON CONFLICT DO UPDATE`` and ``SELECT … FOR UPDATE``.

Migrations are Alembic's (``bot/store/migrations``), run with :func:`upgrade` on an existing
connection, so they work inside a running event loop. On PostgreSQL a transaction-level advisory
lock makes instances that start together migrate one after the other.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.errors import ConfigError

SQLITE_FILE = "imagine.db"
SQLITE_BUSY_TIMEOUT_S = 30.0
MIGRATION_LOCK_KEY = 0x1A6E_5701  # any constant shared by every instance
STORE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = STORE_DIR / "migrations"

_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}


class DatabaseSettings(BaseSettings):
    """Only ``DATABASE_URL``, read like :class:`bot.settings.Settings` reads it (environment,
    then ``.env``), for ``python -m bot.store`` and the Alembic command line, which must not
    need the Slack and OpenAI secrets."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str | None = Field(default=None, description="see bot.settings.Settings")


def resolve_url(url: str | None) -> str:
    """The SQLAlchemy async URL for ``url`` (``None`` or blank: ``./imagine.db``), with the
    password kept. Raises :class:`bot.errors.ConfigError` for anything but SQLite and
    PostgreSQL."""
    if url is None or not url.strip():
        return f"sqlite+aiosqlite:///{Path.cwd() / SQLITE_FILE}"
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise ConfigError(["DATABASE_URL is invalid: not a database URL."]) from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ConfigError(
            [
                "DATABASE_URL is invalid: use postgresql+asyncpg://user:password@host/db "
                f"or sqlite+aiosqlite:///path (got {parsed.drivername}://…)."
            ]
        )
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """An :class:`AsyncEngine` for a URL from :func:`resolve_url` (``options`` go to
    ``create_async_engine``, e.g. ``pool_size``). For a SQLite file, its folder is created and
    the SQLite transaction settings above are installed."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, **options)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **options)
    event.listen(engine.sync_engine, "connect", _sqlite_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin); WAL lets readers run beside a writer.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA journal_mode")
    if cursor.fetchone()[0].lower() != "wal":
        # WAL is stored in the file, so one connection setting it is enough. Switching needs an
        # exclusive lock, and SQLite answers "database is locked" at once, without the busy
        # timeout, while another connection writes (e.g. a second instance migrating): that
        # connection then works in rollback-journal mode, and a later one makes the switch.
        with contextlib.suppress(sqlite3.OperationalError):
            cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # Writers take the write lock at BEGIN and wait their turn on the busy timeout; a deferred
    # transaction that reads first could instead fail with SQLITE_BUSY when it tries to write.
    # Engines made with execution_options(imagine_read_only=True) only read and need no lock.
    read_only = connection.get_execution_options().get("imagine_read_only", False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def alembic_config() -> Config:
    """An Alembic :class:`Config` for the store's migrations, without reading a file (the ini
    file beside this module is only for the ``alembic`` command line)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` in one transaction (PostgreSQL and SQLite both have
    transactional DDL). Safe to call from several instances at once."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        await connection.run_sync(_run_alembic, "upgrade", revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, ``None`` when it has never been migrated."""
    from alembic.runtime.migration import MigrationContext

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


def _run_alembic(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Revert migrations down to ``revision`` (``base`` drops every table)."""
    async with engine.begin() as connection:
        await connection.run_sync(_run_alembic, "downgrade", revision)
