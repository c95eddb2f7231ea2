"""`dailypapers thumbnails`: render the first pages of the feed's papers, once or as a worker (`--loop`).
Each paper is claimed first (sources.thumbnails.claim, a conditional UPDATE), so two workers never
render one paper; a worker killed mid-pass leaves the papers it had not reached due, and the one it
held is free again after DAILYPAPERS_THUMBNAIL_CLAIM_TIMEOUT."""

from __future__ import annotations

import argparse
import logging
import threading
from typing import Any

from django.core.management.base import CommandParser

from dailypapers.core.workers import PassOutcome, WorkerCommand, claimed_outcome
from dailypapers.sources.thumbnails import remove_stale_temporaries, render_due


class Command(WorkerCommand):
    help = (
        "Render thumbnails of the first pages of the papers on the feed, from their PDFs on arXiv "
        "(see README, Thumbnails)."
    )
    name = "thumbnails"
    pass_name = "thumbnail"
    interval_setting = "THUMBNAIL_INTERVAL"
    interval_help = "seconds between passes (default DAILYPAPERS_THUMBNAIL_INTERVAL, 60)"
    log = logging.getLogger("dailypapers.thumbnails")

    def add_worker_arguments(self, parser: CommandParser) -> None:
        # Tests only: a pause after each claim, so that two workers run side by side.
        parser.add_argument("--pause", type=float, default=0.0, help=argparse.SUPPRESS)

    def before_loop(self, options: dict[str, Any]) -> None:
        remove_stale_temporaries()

    def run_pass(self, stop: threading.Event, options: dict[str, Any]) -> PassOutcome:
        result = render_due(stop=stop, pause=options["pause"], report=self.progress(options))
        # Failures are recorded and retried later: not the command's failure.
        return claimed_outcome(
            "rendered", len(result.rendered), result.skipped, result.failed, result.seconds
        )
