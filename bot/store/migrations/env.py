"""Alembic environment of the store, async-capable.

Two ways in:

- from the app (:func:`bot.store.database.upgrade`): a synchronous connection, already inside a
  transaction on the app's async engine, is passed in ``config.attributes["connection"]`` and the
  migrations run on it (Alembic cookbook, "Programmatic API use (connection sharing) With
  Asyncio"); this works inside a running event loop;
- from the ``alembic`` command line: an async engine is made for ``DATABASE_URL`` and the
  migrations run under ``asyncio.run``.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.store.database import DatabaseSettings, create_engine, resolve_url
from bot.store.models import Base

config = context.config
target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    """Run the pending migrations on ``connection`` (batch mode on SQLite, which cannot ALTER
    most things in place)."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_command_line() -> None:
    """Connect to ``DATABASE_URL`` (or ``sqlalchemy.url`` in the ini file) and migrate."""
    url = config.get_main_option("sqlalchemy.url") or DatabaseSettings().database_url
    engine = create_engine(resolve_url(url))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_on)
    finally:
        await engine.dispose()


def run_offline() -> None:
    """Print the SQL instead of running it (``alembic upgrade head --sql``)."""
    url = config.get_main_option("sqlalchemy.url") or DatabaseSettings().database_url
    context.configure(url=resolve_url(url), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
elif (shared := config.attributes.get("connection")) is not None:
    run_on(shared)
else:
    asyncio.run(run_from_command_line())
