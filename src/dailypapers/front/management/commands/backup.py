"""`dailypapers backup PATH`: the whole database, consistent while the site runs (see front.backups)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.front import backups


class Command(BaseCommand):
    help = (
        "Back up the database into a new folder PATH: SQLite through its online backup API, PostgreSQL "
        "through pg_dump, with a manifest of row counts. The search index is rebuilt on restore."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="a folder to create (it must not exist, or be empty)")

    def handle(self, *args, path: Path, **options) -> None:
        try:
            manifest = backups.backup(path)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"Backed up the {manifest['engine']} database to {path}: "
            f"{len(manifest['tables'])} tables, {rows} rows."
        )
