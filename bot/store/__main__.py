"""``python -m bot.store``: manage the store's schema by hand (the app also upgrades at start).

    python -m bot.store upgrade [REVISION]   # apply migrations (default: head)
    python -m bot.store current              # print the database's revision
    python -m bot.store downgrade REVISION   # revert (``base``: drop every table)

The database is ``DATABASE_URL`` from the environment or ``.env`` (as for the app; unset:
``./imagine.db``), or ``--url``. Exit status 0 on success, 2 for a bad URL, 1 when the database
cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy.exc import SQLAlchemyError

from bot.errors import ConfigError
from bot.store import database


def main(argv: list[str] | None = None) -> int:
    """Run the command in ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.store", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--url", help="database URL (default: DATABASE_URL, else ./imagine.db)")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("upgrade", help="apply migrations")
    up.add_argument("revision", nargs="?", default="head")
    commands.add_parser("current", help="print the current revision")
    down = commands.add_parser("downgrade", help="revert migrations")
    down.add_argument("revision")
    args = parser.parse_args(argv)
    try:
        url = database.resolve_url(args.url or database.DatabaseSettings().database_url)
        return asyncio.run(_run(args.command, url, getattr(args, "revision", "head")))
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 2
    except (SQLAlchemyError, OSError) as exc:
        print(f"database error: {exc}", file=sys.stderr)
        return 1


async def _run(command: str, url: str, revision: str) -> int:
    engine = database.create_engine(url)
    shown = engine.url.render_as_string(hide_password=True)
    try:
        if command == "upgrade":
            await database.upgrade(engine, revision)
            print(f"{shown}: upgraded to {await database.current_revision(engine)}")
        elif command == "downgrade":
            await database.downgrade(engine, revision)
            print(f"{shown}: downgraded to {await database.current_revision(engine)}")
        else:
            print(f"{shown}: {await database.current_revision(engine) or 'empty (no revision)'}")
    finally:
        await engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
