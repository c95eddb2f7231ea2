"""`dailypapers stars`: refresh the GitHub stars of the repositories papers link to, once or as a
worker (`--loop`); see dailypapers.sources.github_stars. Each repository is claimed first (a
conditional UPDATE), so several workers share the work; when GitHub's rate limit is spent the worker
waits for its reset instead of asking again."""

from __future__ import annotations

import logging
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import close_old_connections

from dailypapers.core import heartbeat
from dailypapers.core.schema import DatabaseCommand
from dailypapers.sources.github_stars import GitHub, fill_links_from_text, refresh_due

log = logging.getLogger("dailypapers.sources")


class Command(DatabaseCommand):
    help = (
        "Refresh the GitHub stars of the papers' code repositories (conditional requests, within "
        "GitHub's rate limit). --find-links first gives papers already here the repository their "
        "abstract or arXiv comments name."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running, one pass every --interval")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds between passes (default DAILYPAPERS_STARS_INTERVAL, 60)",
        )
        parser.add_argument(
            "--find-links",
            action="store_true",
            help="first find repository links in the abstracts and comments of the papers already here",
        )
        parser.add_argument("--limit", type=int, default=None, help="repositories per pass at most")

    def handle(
        self,
        *args,
        loop: bool,
        interval: float | None,
        find_links: bool,
        limit: int | None,
        verbosity: int,
        **options,
    ) -> None:
        interval = settings.STARS_INTERVAL if interval is None else interval
        if interval <= 0:
            raise CommandError("--interval must be positive")
        if limit is not None and limit <= 0:
            raise CommandError("--limit must be positive")
        if find_links:
            found = fill_links_from_text()
            if verbosity >= 1:
                self.stdout.write(f"{found} paper(s) got a repository link from their abstract or comments")
        stop = threading.Event()
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
        report = self.stdout.write if verbosity >= 2 else None
        github = GitHub()
        try:
            while not stop.is_set():
                wait = interval
                try:
                    result = refresh_due(github, limit=limit, stop=stop, report=report)
                except Exception as exc:
                    if not loop:
                        raise
                    log.exception("stars pass failed")
                    self.stderr.write(f"stars pass failed: {type(exc).__name__}: {exc}")
                else:
                    if verbosity >= 1 and (not loop or result.checked or result.resume_at):
                        self.stdout.write(
                            f"{result.checked} checked: {result.changed} changed, {result.not_modified} "
                            f"unchanged (304), {result.moved} moved, {result.missing} missing, "
                            f"{result.failed} failed; {result.held} held by another worker"
                        )
                    if result.resume_at is not None:
                        # The rate limit: no request before it resets, however short --interval is.
                        wait = max(interval, result.resume_at - time.time())
                        if verbosity >= 1:
                            self.stdout.write(f"GitHub's rate limit is spent: resuming in {wait:.0f} s")
                    if not loop:
                        return
                close_old_connections()
                heartbeat.beat("stars", wait)  # /healthz: alive, and back within `wait`
                stop.wait(wait)
        except KeyboardInterrupt:
            pass
        finally:
            github.close()
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        if loop:
            self.stderr.write("Stopped.")
