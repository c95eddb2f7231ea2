"""`dailypapers sync`: fetch new papers from arXiv, once or as a worker (`--loop`)."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import close_old_connections

from dailypapers.core import heartbeat
from dailypapers.core.schema import DatabaseCommand
from dailypapers.papers.signals import batched_changes
from dailypapers.sources.fetching import Fetcher, SourceError
from dailypapers.sources.registry import SOURCES, source

log = logging.getLogger("dailypapers.sources")
MAX_BACKOFF = 6 * 3600.0


class Command(DatabaseCommand):
    help = "Fetch new and updated papers from arXiv (RSS listings, OAI-PMH) into the catalogue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            action="append",
            choices=sorted(SOURCES),
            help="which source to run (repeatable; default: all, in the order rss, oai)",
        )
        parser.add_argument(
            "--categories", help="space-separated arXiv categories (default: DAILYPAPERS_CATEGORIES)"
        )
        parser.add_argument("--loop", action="store_true", help="keep running, one pass every --interval")
        parser.add_argument(
            "--interval", type=float, default=1800, help="seconds between passes (default 1800)"
        )

    def handle(self, *args, source, categories, loop: bool, interval: float, **options) -> None:
        names = source or list(SOURCES)
        cats = categories.split() if categories else settings.CATEGORIES
        if not cats:
            raise CommandError("no categories to sync: set DAILYPAPERS_CATEGORIES or pass --categories")
        if interval <= 0:
            raise CommandError("--interval must be positive")
        fetcher = Fetcher()
        failures: dict[str, int] = {}  # consecutive failed passes of each source
        next_try: dict[str, float] = {}
        try:
            while True:
                now = time.monotonic()
                due = [name for name in names if next_try.get(name, 0) <= now]
                # What the pass brought is indexed for search (and the like) at its end, at once.
                with batched_changes(report=self.stderr.write):
                    failed = self.one_pass(fetcher, due, cats)
                if not loop:
                    if failed:
                        raise CommandError(f"{len(failed)} source(s) failed: {', '.join(failed)}")
                    return
                for name in due:
                    # A failing source is tried again later and later, never given up on.
                    failures[name] = failures.get(name, 0) + 1 if name in failed else 0
                    wait = min(MAX_BACKOFF, interval * 2 ** max(0, failures[name] - 1))
                    next_try[name] = time.monotonic() + wait
                    if name in failed:
                        log.warning("sync %s: next try in %.1f s", name, wait)
                close_old_connections()  # a database restart between passes must not end the worker
                wait = max(0.0, min(next_try.values()) - time.monotonic())
                heartbeat.beat("sync", wait)  # /healthz: alive, and back within `wait` (+ a pass)
                time.sleep(wait)
        except KeyboardInterrupt:
            self.stderr.write("Stopped.")
        finally:
            fetcher.close()

    def one_pass(self, fetcher: Fetcher, names: list[str], categories: list[str]) -> list[str]:
        """Run each source; one failing source is reported and never stops the others.

        Returns the sources that failed."""
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
            except Exception as exc:  # a bug or a database outage: logged in full, the worker goes on
                log.exception("sync %s failed unexpectedly", name)
                self.stderr.write(f"{name}: failed unexpectedly: {type(exc).__name__}: {exc}")
                failed.append(name)
                continue
            self.stdout.write(
                f"{name}: {result.new} new, {result.updated} updated, {result.unchanged} unchanged, "
                f"{result.listings_new} feed listings ({time.monotonic() - started:.1f} s)"
            )
        return failed
