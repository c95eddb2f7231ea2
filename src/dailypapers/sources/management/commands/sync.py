"""`dailypapers sync`: fetch new papers from arXiv, once or as a worker (`--loop`)."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.sources.http import Fetcher, SourceError
from dailypapers.sources.registry import SOURCES, source

log = logging.getLogger("dailypapers.sources")


class Command(BaseCommand):
    help = "Fetch new and updated papers from arXiv (RSS listings, OAI-PMH) into the catalogue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            action="append",
            choices=sorted(SOURCES),
            help="which source to run (repeatable; default: all, in the order rss, oai)",
        )
        parser.add_argument(
            "--categories",
            help="space-separated arXiv categories (default: DAILYPAPERS_CATEGORIES)",
        )
        parser.add_argument("--loop", action="store_true", help="keep running, one pass every --interval")
        parser.add_argument(
            "--interval", type=float, default=1800, help="seconds between passes (default 1800)"
        )

    def handle(self, *args, source, categories, loop: bool, interval: float, **options) -> None:
        names = source or list(SOURCES)
        cats = categories.split() if categories else settings.ARXIV_CATEGORIES
        if not cats:
            raise CommandError("no categories to sync: set DAILYPAPERS_CATEGORIES or pass --categories")
        fetcher = Fetcher()
        try:
            while True:
                failed = self.one_pass(fetcher, names, cats)
                if not loop:
                    if failed:
                        raise CommandError(f"{len(failed)} source(s) failed: {', '.join(failed)}")
                    return
                time.sleep(interval)
        except KeyboardInterrupt:
            self.stderr.write("Stopped.")
        finally:
            fetcher.close()

    def one_pass(self, fetcher: Fetcher, names: list[str], categories: list[str]) -> list[str]:
        """Run each source; one failing source is reported and never stops the others."""
        failed = []
        for name in names:
            started = time.monotonic()
            try:
                result = source(name)(fetcher, categories, report=self.stdout.write)
            except SourceError as exc:
                log.error("sync %s failed: %s", name, exc)
                self.stderr.write(f"{name}: failed: {exc}")
                failed.append(name)
                continue
            self.stdout.write(
                f"{name}: {result.new} new, {result.updated} updated, {result.unchanged} unchanged, "
                f"{result.listings_new} feed listings ({time.monotonic() - started:.1f} s)"
            )
        return failed
