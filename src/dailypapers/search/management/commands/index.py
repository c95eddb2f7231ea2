"""`dailypapers index`: embed what is missing and bring the search index files up to date."""

from __future__ import annotations

import argparse

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from dailypapers.core.schema import DatabaseCommand
from dailypapers.search import indexing
from dailypapers.search.follow import follow as follow_catalogue


def _row_ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of row ids: {text[:80]!r}") from None


class Command(DatabaseCommand):
    help = (
        "Index papers for search: keywords first (searchable at once), then embeddings for semantic "
        "search and similar papers, committed in batches so an interrupted run resumes where it stopped. "
        "--rebuild rewrites the index files from the database without embedding anything again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="rewrite the index files from the database (no re-embedding)",
        )
        parser.add_argument(
            "--papers",
            type=_row_ids,
            metavar="ID,ID,...",
            help="only these papers (database row ids; what the site hands over when it indexes a "
            "large batch beside the server)",
        )
        parser.add_argument(
            "--follow",
            action="store_true",
            help="keep this node's index following the database: poll the change log every "
            "--interval seconds and index what any node changed (what `serve` starts beside the server)",
        )
        parser.add_argument(
            "--interval", type=float, default=5.0, help="seconds between polls with --follow (default 5)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")
        parser.add_argument(
            "--batch-size", type=int, default=128, help="papers embedded per batch (default 128)"
        )

    def handle(
        self,
        *args,
        rebuild: bool = False,
        papers: list[int] | None = None,
        no_progress: bool = False,
        batch_size: int = 128,
        follow: bool = False,
        interval: float = 5.0,
        **opts,
    ):
        progress = not no_progress
        if follow:
            if rebuild or papers is not None:
                raise CommandError("--follow takes neither --rebuild nor --papers")
            if not interval > 0:
                raise CommandError(f"--interval must be more than 0 seconds, not {interval}")
            follow_catalogue(interval)
            return
        if rebuild:
            indexing.rebuild_index(progress=progress)
        else:
            indexing.update_index(papers, progress=progress, batch_size=max(1, batch_size))
        status = indexing.index_status()
        self.stdout.write(
            f"Search index in {settings.SEARCH_DIR}: {status['documents']} papers searchable by keyword, "
            f"{status['vectors']} with embeddings ({status['model'] or 'semantic search off'})."
        )
