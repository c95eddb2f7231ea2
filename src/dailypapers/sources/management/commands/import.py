"""`dailypapers import hf-daily PATH...`: bulk imports into the catalogue."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.sources import hf_daily
from dailypapers.sources.bulk import import_hf_daily


class Command(BaseCommand):
    help = "Import papers from files. Safe to rerun: what is already there is left as it is."

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
        hf = kinds.add_parser(
            "hf-daily",
            help="Hugging Face /api/daily_papers responses (.json or .json.gz files, or folders of them)",
        )
        hf.add_argument("paths", nargs="+", metavar="PATH")
        hf.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, kind: str, paths: list[str], no_progress: bool = False, **options) -> None:
        try:
            files = hf_daily.find_files(paths)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        if not files:
            raise CommandError("no .json files found in " + ", ".join(paths))
        summary = import_hf_daily(files, report=self.stderr.write, progress=not no_progress)
        self.stdout.write(summary.describe())
        if summary.unreadable:
            raise CommandError(f"{summary.unreadable} file(s) could not be read; see the messages above")
