"""`dailypapers restore PATH`: put a backup's database in place and rebuild the search index."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.core.schema import ensure_schema
from dailypapers.front import backups
from dailypapers.search.indexing import rebuild_index


class Command(BaseCommand):
    help = (
        "Restore a backup made by `dailypapers backup` into this site's database (the same engine), then "
        "rebuild the search index from it. Stop the site first. Refuses a database that holds data "
        "unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the backup folder")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds papers or members"
        )

    def handle(self, *args, path: Path, force: bool, **options) -> None:
        try:
            manifest = backups.restore(path, force=force)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        # A backup made by an older dailypapers gets the tables it lacked.
        ensure_schema(report=self.stderr.write)
        self.stderr.write("Rebuilding the search index from the restored database…")
        rebuild_index(progress=options["verbosity"] >= 2)
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"Restored {path} (made {manifest['created_at']}): {len(manifest['tables'])} tables, "
            f"{rows} rows, and rebuilt the search index."
        )
