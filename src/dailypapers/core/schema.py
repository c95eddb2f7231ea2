"""Bringing the database schema up to date before a command uses it, as `serve` does.

The first command an operator runs on a new home may be any of ours (`import`, `sync`, `index`...):
each creates the tables it needs instead of failing on "no such table". Django's own commands
(`createsuperuser`, `shell`...) do not; on a missing table the console script says in one line
to run `dailypapers migrate` (dailypapers.__main__).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

# Databases found up to date in this process: a worker looping or a test calling commands checks once.
_up_to_date: set[str] = set()


def unapplied_migrations(using: str = DEFAULT_DB_ALIAS) -> list:
    """The migrations `migrate` would apply to the database, in order (empty: up to date)."""
    executor = MigrationExecutor(connections[using])
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def ensure_schema(report: Callable[[str], object] | None = None, using: str = DEFAULT_DB_ALIAS) -> None:
    """Apply the migrations the database lacks (all of them on a new home); say so through `report`."""
    if using in _up_to_date:
        return
    if unapplied_migrations(using):
        if report is not None:
            report("Bringing the database up to date (dailypapers migrate)…")
        call_command("migrate", database=using, interactive=False, verbosity=0)
    _up_to_date.add(using)


class DatabaseCommand(BaseCommand):
    """Base of our commands that use the database: the schema is brought up to date first."""

    def execute(self, *args, **options):
        ensure_schema(report=self.stderr.write)
        return super().execute(*args, **options)
