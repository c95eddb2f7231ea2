"""`dailypapers recommend`: train the models of members whose signals changed, once or as a worker
(`--loop`). Each member is claimed first (Taste.claim, a conditional UPDATE), so two workers, or a
worker and a page that trains a member inline, never train one member at once; a worker killed
mid-pass leaves the members it had not reached due, and the one it held is free again after
DAILYPAPERS_RECOMMEND_CLAIM_TIMEOUT."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import close_old_connections

from dailypapers.core import heartbeat
from dailypapers.core.schema import DatabaseCommand
from dailypapers.recommend.ranking import train_due

log = logging.getLogger("dailypapers.recommend")


class Command(DatabaseCommand):
    help = (
        'Retrain the "For you" models of the members whose saves, votes, follows and other signals '
        "changed since their model was trained (see README, For you)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running, one pass every --interval")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds between passes (default DAILYPAPERS_RECOMMEND_INTERVAL, 10)",
        )
        # Tests only: a pause before each member, so that two workers run side by side.
        parser.add_argument("--pause", type=float, default=0.0, help=argparse.SUPPRESS)

    def handle(self, *args, loop: bool, interval: float | None, pause: float, verbosity: int, **options):
        interval = settings.RECOMMEND_INTERVAL if interval is None else interval
        if interval <= 0:
            raise CommandError("--interval must be positive")
        stop = threading.Event()
        previous = None
        if threading.current_thread() is threading.main_thread():
            # SIGTERM (`serve` stopping, a service manager): finish the member in hand, then stop.
            previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
        report = self.stdout.write if verbosity >= 2 else None
        try:
            while not stop.is_set():
                try:
                    result = train_due(stop=stop, pause=pause, report=report)
                except Exception as exc:
                    if not loop:
                        raise
                    # A database restart or a bug: logged in full, the worker carries on.
                    log.exception("recommend pass failed")
                    self.stderr.write(f"recommend pass failed: {type(exc).__name__}: {exc}")
                else:
                    if verbosity >= 1 and (not loop or result.trained or result.failed):
                        self.stdout.write(
                            f"{len(result.trained)} trained, {result.skipped} held by another worker, "
                            f"{result.failed} failed ({result.seconds:.1f} s)"
                        )
                    if not loop:
                        if result.failed:
                            raise CommandError(f"training failed for {result.failed} member(s); see the log")
                        return
                close_old_connections()
                heartbeat.beat("recommend", interval)  # /healthz: alive, and back within `interval`
                stop.wait(interval)
        except KeyboardInterrupt:
            pass
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        self.stderr.write("Stopped.")
