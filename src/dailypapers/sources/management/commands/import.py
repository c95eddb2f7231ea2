"""`dailypapers import hf-daily PATH...`: bulk imports into the catalogue."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from dailypapers.core.schema import DatabaseCommand
from dailypapers.papers.signals import batched_changes
from dailypapers.sources import hf_daily
from dailypapers.sources.bulk import ImportSummary, ReaderDied, WriteFailed, import_hf_daily, import_snapshot

NO_INDEX_HELP = "leave the search index for a later `dailypapers index`"


class Command(DatabaseCommand):
    help = "Import papers from files. Safe to rerun: what is already there is left as it is."

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
        hf = kinds.add_parser(
            "hf-daily",
            help="Hugging Face /api/daily_papers responses (.json or .json.gz files, or folders of them)",
        )
        snap = kinds.add_parser(
            "arxiv-snapshot",
            help='the Kaggle "arxiv-metadata-oai-snapshot" JSON-lines file(s), plain or .gz',
        )
        for kind, metavar in ((hf, "PATH"), (snap, "FILE")):
            kind.add_argument("paths", nargs="+", metavar=metavar)
            kind.add_argument("--no-progress", action="store_true", help="no progress bar")
            kind.add_argument("--no-index", action="store_true", help=NO_INDEX_HELP)
        snap.add_argument(
            "--batch-size", type=int, default=5000, help="records per transaction (default 5000)"
        )
        snap.add_argument("--serial", action="store_true", help="parse in this process, not in a second one")

    def handle(
        self, *args, kind: str, paths: list[str], no_progress: bool = False, no_index: bool = False, **options
    ) -> None:
        # What the import changed is sent on once, at its end: the search index follows then.
        with batched_changes(report=self.stderr.write, progress=not no_progress, notify=not no_index):
            summary = self.run_import(kind, paths, not no_progress, options)
            self.stdout.write(summary.describe())
            if (summary.new or summary.updated) and not no_index:
                self.stdout.write("Indexing for search (safe to interrupt: `dailypapers index` resumes)…")
        if summary.unreadable:
            raise CommandError(f"{summary.unreadable} file(s) could not be read; see the messages above")

    def run_import(self, kind: str, paths: list[str], progress: bool, options: dict) -> ImportSummary:
        if kind == "arxiv-snapshot":
            files = [Path(p) for p in paths]
            for path in files:
                if not path.is_file():
                    raise CommandError(f"{path}: no such file")
            if options["batch_size"] < 1:
                raise CommandError("--batch-size must be at least 1")
            try:
                return import_snapshot(
                    files,
                    report=self.stderr.write,
                    progress=progress,
                    batch_size=options["batch_size"],
                    parallel=not options["serial"],
                )
            except (ReaderDied, WriteFailed) as exc:
                raise CommandError(str(exc)) from None
        try:
            files = hf_daily.find_files(paths)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        if not files:
            raise CommandError("no .json files found in " + ", ".join(paths))
        return import_hf_daily(files, report=self.stderr.write, progress=progress)
