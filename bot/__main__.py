"""``python -m bot``: build the settings, configure logging, serve until SIGTERM.

Exit codes: 0 after a clean shutdown, 2 when settings are missing or malformed (one readable
message naming every problem, no traceback).
"""

from __future__ import annotations

import asyncio
import sys

from bot.errors import ConfigError
from bot.logs import configure_logging
from bot.server import serve
from bot.settings import load_settings


def _fail(error: ConfigError) -> int:
    lines = "\n".join(f"  - {problem}" for problem in error.problems)
    print(
        f"Imagine cannot start; fix these settings (environment or .env):\n{lines}\n"
        "See README.md, section Settings.",
        file=sys.stderr,
    )
    return 2


def main() -> int:
    """Run the app; returns the process exit code."""
    try:
        settings = load_settings()
    except ConfigError as error:
        return _fail(error)
    configure_logging(settings.log_level, settings.secrets())
    try:
        asyncio.run(serve(settings))
    except ConfigError as error:
        return _fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
