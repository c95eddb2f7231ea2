"""`dailypapers digest send`: send the digests that are due, once or as a worker (`--loop`).
`dailypapers digest preview ADDRESS`: print the digest an address would get now (nothing is sent)."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time

from django.core.management.base import CommandError, CommandParser
from django.db import close_old_connections

from dailypapers.core.schema import DatabaseCommand
from dailypapers.digests.sending import Sender

log = logging.getLogger("dailypapers.digests")


class Command(DatabaseCommand):
    help = (
        "E-mail digests: `send` delivers every digest that is due; `preview ADDRESS` prints the latest "
        "digest that address would get, without sending or recording it (see README, E-mail digests)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["send", "preview"], help="send, or preview ADDRESS")
        parser.add_argument("address", nargs="?", help="preview: the subscriber's e-mail address")
        parser.add_argument("--loop", action="store_true", help="keep running, one pass every --interval")
        parser.add_argument("--interval", type=float, default=60, help="seconds between passes (default 60)")
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="run this many sender processes side by side (default 1); they share the work safely",
        )

    def handle(
        self,
        *args,
        action: str,
        address: str | None,
        loop: bool,
        interval: float,
        processes: int,
        verbosity: int,
        **options,
    ) -> None:
        if action == "preview":
            self.preview(address)
            return
        if address:
            raise CommandError("send takes no address")
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

    def preview(self, address: str | None) -> None:
        from django.utils import timezone

        from dailypapers.digests.compose import PeriodPapers, digest_subject
        from dailypapers.digests.models import Subscription
        from dailypapers.digests.schedule import latest_period

        if not address:
            raise CommandError("preview needs the subscriber's address")
        subscription = Subscription.objects.for_address(address).first()
        if subscription is None:
            raise CommandError(f"no subscription for {address}")
        period = latest_period(subscription.frequency, timezone.now())
        papers = PeriodPapers(period)
        chosen = papers.select(subscription)
        self.stdout.write(f"{subscription} — {subscription.describe_filters()}")
        self.stdout.write(f"Subject: {digest_subject(period)}")
        if not chosen:
            self.stdout.write(f"Nothing to send for {period.title}: no paper matches.")
            return
        self.stdout.write(papers.body(chosen).papers_text.rstrip())
