"""`dailypapers digest send`: send the digests that are due, once or as a worker (`--loop`)."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from dailypapers.digests.sending import Sender

log = logging.getLogger("dailypapers.digests")


class Command(BaseCommand):
    help = "E-mail digests: `send` delivers every digest that is due (see README, E-mail digests)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["send"], help="send: deliver the digests that are due")
        parser.add_argument("--loop", action="store_true", help="keep running, one pass every --interval")
        parser.add_argument("--interval", type=float, default=60, help="seconds between passes (default 60)")
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="run this many sender processes side by side (default 1); they share the work safely",
        )

    def handle(
        self, *args, action: str, loop: bool, interval: float, processes: int, verbosity: int, **options
    ) -> None:
        if interval <= 0:
            raise CommandError("--interval must be positive")
        if processes < 1:
            raise CommandError("--processes must be at least 1")
        if processes > 1:
            self.run_processes(processes, loop, interval, verbosity)
            return
        report = self.stdout.write if verbosity >= 2 else None
        sender = Sender(report=report)
        try:
            while True:
                started = time.monotonic()
                try:
                    result = sender.run_pass()
                except Exception as exc:
                    if not loop:
                        raise
                    # A database outage or a bug: logged in full, the worker carries on.
                    log.exception("digest pass failed")
                    self.stderr.write(f"digest pass failed: {type(exc).__name__}: {exc}")
                else:
                    if verbosity >= 1 and (not loop or result.claimed or result.sent or result.retried):
                        self.stdout.write(f"{result.summary()} ({time.monotonic() - started:.1f} s)")
                    if result.smtp_down:
                        self.stderr.write(f"SMTP server unreachable; will retry: {result.errors[-1]}")
                    if not loop:
                        if result.smtp_down:
                            raise CommandError("the SMTP server could not be reached; digests stay queued")
                        return
                close_old_connections()
                time.sleep(interval)
        except KeyboardInterrupt:
            self.stderr.write("Stopped.")

    def run_processes(self, processes: int, loop: bool, interval: float, verbosity: int) -> None:
        """Start the same command N times (each claims its own share); fail if any of them fails."""
        command = [sys.executable, "-m", "dailypapers", "digest", "send", "-v", str(verbosity)]
        if loop:
            command += ["--loop", "--interval", str(interval)]
        children = [subprocess.Popen(command) for _ in range(processes)]
        try:
            codes = [child.wait() for child in children]
        except KeyboardInterrupt:
            for child in children:
                child.send_signal(signal.SIGINT)
            for child in children:
                child.wait()
            self.stderr.write("Stopped.")
            return
        if any(codes):
            raise CommandError(f"{sum(1 for c in codes if c)} of {processes} sender processes failed")
