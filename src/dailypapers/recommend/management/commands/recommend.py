"""`dailypapers recommend`: train the models of members whose signals changed, once or as a worker
(`--loop`). Each member is claimed first (Taste.claim, a conditional UPDATE), so two workers, or a
worker and a page that trains a member inline, never train one member at once; a worker killed
mid-pass leaves the members it had not reached due, and the one it held is free again after
DAILYPAPERS_RECOMMEND_CLAIM_TIMEOUT."""

from __future__ import annotations

import argparse
import logging
import threading
from typing import Any

from django.core.management.base import CommandParser

from dailypapers.core.workers import PassOutcome, WorkerCommand, claimed_outcome
from dailypapers.recommend.ranking import train_due


class Command(WorkerCommand):
    help = (
        'Retrain the "For you" models of the members whose saves, votes, follows and other signals '
        "changed since their model was trained (see README, For you)."
    )
    name = "recommend"
    interval_setting = "RECOMMEND_INTERVAL"
    interval_help = "seconds between passes (default DAILYPAPERS_RECOMMEND_INTERVAL, 10)"
    log = logging.getLogger("dailypapers.recommend")

    def add_worker_arguments(self, parser: CommandParser) -> None:
        # Tests only: a pause before each member, so that two workers run side by side.
        parser.add_argument("--pause", type=float, default=0.0, help=argparse.SUPPRESS)

    def run_pass(self, stop: threading.Event, options: dict[str, Any]) -> PassOutcome:
        result = train_due(stop=stop, pause=options["pause"], report=self.progress(options))
        outcome = claimed_outcome(
            "trained", len(result.trained), result.skipped, result.failed, result.seconds
        )
        if result.failed:
            outcome.failure = f"training failed for {result.failed} member(s); see the log"
        return outcome
