"""The `dailypapers` console script: Django's management commands under our name."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "dailypapers"
    try:
        from django.core.exceptions import ImproperlyConfigured
        from django.core.management import execute_from_command_line
        from django.db.utils import OperationalError, ProgrammingError

        from dailypapers.core import env

        execute_from_command_line(argv)
    except (OperationalError, ProgrammingError, OSError, ValueError, ImproperlyConfigured) as exc:
        # The operator's setup, not a bug: a database that does not answer or lacks its tables, a
        # data folder that cannot be made, a DATABASE_URL or a setting that cannot be read. One
        # line, no traceback. Any other SQL error is a bug: its traceback is shown.
        if os.environ.get("DAILYPAPERS_DEBUG", "").strip().lower() in env.TRUE:
            raise
        if isinstance(exc, ProgrammingError) and not _missing_table(exc):
            raise
        sys.stderr.write(f"dailypapers: error: {_describe(exc)} (DAILYPAPERS_DEBUG=1 shows the traceback)\n")
        sys.exit(1)


def _missing_table(exc: Exception) -> bool:
    """SQLite's "no such table: x", PostgreSQL's 'relation "x" does not exist'."""
    text = str(exc)
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def _describe(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    if _missing_table(exc):
        # Our commands create the tables themselves (core.schema); Django's own ones do not.
        return f"the database lacks its tables ({text}): run `dailypapers migrate` first"
    if type(exc).__name__ == "OperationalError":
        return f"the database cannot be used: {text}"
    if type(exc).__name__ == "UnknownSchemeError":
        return f"DATABASE_URL: {text}"
    return text


if __name__ == "__main__":
    main()
