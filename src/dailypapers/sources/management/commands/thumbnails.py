"""`dailypapers thumbnails`: render the first pages of the feed's papers, once or as a worker (`--loop`).
Each paper is claimed first (sources.thumbnails.claim, a conditional UPDATE), so two workers never
render one paper; a worker killed mid-pass leaves the papers it had not reached due, and the one it
held is free again after DAILYPAPERS_THUMBNAIL_CLAIM_TIMEOUT."""

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
from dailypapers.sources.thumbnails import remove_stale_temporaries, render_due

log = logging.getLogger("dailypapers.thumbnails")


class Command(DatabaseCommand):
    help = (
        "Render thumbnails of the first pages of the papers on the feed, from their PDFs on arXiv "
        "(see README, Thumbnails)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running, one pass every --interval")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds between passes (default DAILYPAPERS_THUMBNAIL_INTERVAL, 60)",
        )
        # Tests only: a pause after each claim, so that two workers run side by side.
        parser.add_argument("--pause", type=float, default=0.0, help=argparse.SUPPRESS)

    def handle(self, *args, loop: bool, interval: float | None, pause: float, verbosity: int, **options):
        interval = settings.THUMBNAIL_INTERVAL if interval is None else interval
        if interval <= 0:
            raise CommandError("--interval must be positive")
        stop = threading.Event()
        previous = None
        if threading.current_thread() is threading.main_thread():
            # SIGTERM (`serve` stopping, a service manager): finish the paper in hand, then stop.
            previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
        report = self.stdout.write if verbosity >= 2 else None
        remove_stale_temporaries()
        try:
            while not stop.is_set():
                try:
                    result = render_due(stop=stop, pause=pause, report=report)
                except Exception as exc:
                    if not loop:
                        raise
                    # A database restart or a bug: logged in full, the worker carries on.
                    log.exception("thumbnail pass failed")
                    self.stderr.write(f"thumbnail pass failed: {type(exc).__name__}: {exc}")
                else:
                    if verbosity >= 1 and (not loop or result.rendered or result.failed):
                        self.stdout.write(
                            f"{len(result.rendered)} rendered, {result.skipped} held by another worker, "
                            f"{result.failed} failed ({result.seconds:.1f} s)"
                        )
                    if not loop:
                        return  # failures are recorded and retried later: not the command's failure
                close_old_connections()
                heartbeat.beat("thumbnails", interval)  # /healthz: alive, and back within `interval`
                stop.wait(interval)
        except KeyboardInterrupt:
            pass
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        self.stderr.write("Stopped.")
