"""`dailypapers stars`: refresh the GitHub stars of the repositories papers link to, once or as a
worker (`--loop`); see dailypapers.sources.github_stars. Each repository is claimed first (a
conditional UPDATE), so several workers share the work; when GitHub's rate limit is spent the worker
waits for its reset instead of asking again."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.management.base import CommandError, CommandParser

from dailypapers.core.workers import PassOutcome, WorkerCommand
from dailypapers.sources.github_stars import GitHub, fill_links_from_text, refresh_due


class Command(WorkerCommand):
    help = (
        "Refresh the GitHub stars of the papers' code repositories (conditional requests, within "
        "GitHub's rate limit). --find-links first gives papers already here the repository their "
        "abstract or arXiv comments name."
    )
    name = "stars"
    interval_setting = "STARS_INTERVAL"
    interval_help = "seconds between passes (default DAILYPAPERS_STARS_INTERVAL, 60)"
    log = logging.getLogger("dailypapers.sources")
    stopped_after_single_run = False
    github: GitHub | None = None

    def add_worker_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--find-links",
            action="store_true",
            help="first find repository links in the abstracts and comments of the papers already here",
        )
        parser.add_argument("--limit", type=int, default=None, help="repositories per pass at most")

    def before_loop(self, options: dict[str, Any]) -> None:
        if options["limit"] is not None and options["limit"] <= 0:
            raise CommandError("--limit must be positive")
        if options["find_links"]:
            found = fill_links_from_text()
            if options["verbosity"] >= 1:
                self.stdout.write(f"{found} paper(s) got a repository link from their abstract or comments")
        self.github = GitHub()

    def after_loop(self, options: dict[str, Any]) -> None:
        if self.github is not None:
            self.github.close()

    def run_pass(self, stop: threading.Event, options: dict[str, Any]) -> PassOutcome:
        result = refresh_due(self.github, limit=options["limit"], stop=stop, report=self.progress(options))
        outcome = PassOutcome(
            summary=(
                f"{result.checked} checked: {result.changed} changed, {result.not_modified} "
                f"unchanged (304), {result.moved} moved, {result.missing} missing, "
                f"{result.failed} failed; {result.held} held by another worker"
            ),
            busy=bool(result.checked or result.resume_at),
        )
        if result.resume_at is not None:
            # The rate limit: no request before it resets, however short --interval is.
            outcome.wait = max(options["interval"], result.resume_at - time.time())
            outcome.notes.append(f"GitHub's rate limit is spent: resuming in {outcome.wait:.0f} s")
        return outcome
