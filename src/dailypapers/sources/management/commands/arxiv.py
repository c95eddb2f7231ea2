"""`dailypapers arxiv lookup ID...` and `dailypapers arxiv backfill QUERY`: the arXiv API, by hand."""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from dailypapers.core.schema import DatabaseCommand
from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.papers.signals import batched_changes
from dailypapers.sources import arxiv_api
from dailypapers.sources.fetching import Fetcher, SourceError
from dailypapers.sources.ingest import UpsertResult, upsert


class Command(DatabaseCommand):
    help = "Fetch papers from the arXiv API into the catalogue: by id, or everything a search finds."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        lookup = actions.add_parser("lookup", help="fetch papers by arXiv id or URL")
        lookup.add_argument("ids", nargs="+", metavar="ID")
        backfill = actions.add_parser("backfill", help='fetch what an arXiv search finds ("cat:cs.CL")')
        backfill.add_argument("query")
        backfill.add_argument(
            "--limit", type=int, default=1000, help="at most this many papers (default 1000)"
        )
        backfill.add_argument(
            "--sort",
            choices=["submittedDate", "lastUpdatedDate", "relevance"],
            default="submittedDate",
            help="newest submissions first by default",
        )

    def handle(self, *args, action: str, **options) -> None:
        # The papers are indexed for search (and the like) when the command is done, at once.
        with batched_changes(report=self.stderr.write):
            result = self.fetch(action, options)
            self.stdout.write(
                f"Papers: {result.new} new, {result.updated} updated, {result.unchanged} unchanged."
            )

    def fetch(self, action: str, options: dict) -> UpsertResult:
        fetcher = Fetcher()
        try:
            if action == "lookup":
                ids = options["ids"]
                records = arxiv_api.lookup(fetcher, ids)
                result = upsert(records)
                found = {record.arxiv_id for record in records}
                for raw in ids:
                    ref = parse_arxiv_id(raw)
                    if ref is None:
                        self.stderr.write(f"{raw[:80]}: not an arXiv id")
                    elif ref.id not in found:
                        self.stderr.write(f"{ref.id}: arXiv has no such paper")
            else:
                if options["limit"] < 1:
                    raise CommandError("--limit must be at least 1")
                result = arxiv_api.backfill(
                    fetcher,
                    options["query"],
                    options["limit"],
                    report=self.stdout.write,
                    sort_by=options["sort"],
                )
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        finally:
            fetcher.close()
        return result
