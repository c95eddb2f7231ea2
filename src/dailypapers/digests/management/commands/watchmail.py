"""`dailypapers watchmail`: e-mail members the notifications of the papers they watch, once or as a
worker (`--loop`). Several workers may run side by side: each member's notifications are claimed by
one of them (see dailypapers.digests.watch_mail)."""

from __future__ import annotations

import time

from django.core.management.base import CommandError, CommandParser
from django.db import close_old_connections

from dailypapers.core import heartbeat
from dailypapers.core.schema import DatabaseCommand
from dailypapers.digests.watch_mail import WatchMailer


class Command(DatabaseCommand):
    help = "E-mail the notifications of watched papers (see README, Watching papers)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running, one pass every --interval")
        parser.add_argument("--interval", type=float, default=60, help="seconds between passes (default 60)")

    def handle(self, *args, loop: bool, interval: float, verbosity: int, **options) -> None:
        if interval <= 0:
            raise CommandError("--interval must be positive")
        mailer = WatchMailer()
        try:
            while True:
                started = time.monotonic()
                try:
                    result = mailer.run_pass()
                except Exception as exc:
                    if not loop:
                        raise
                    self.stderr.write(f"watchmail pass failed: {type(exc).__name__}: {exc}")
                else:
                    if verbosity >= 1 and (not loop or result.sent or result.retried):
                        self.stdout.write(f"{result.summary()} ({time.monotonic() - started:.1f} s)")
                    if result.smtp_down:
                        if not loop:
                            raise CommandError(f"{result.errors[-1]}; the notifications stay queued")
                        self.stderr.write(f"{result.errors[-1]}; will retry")
                if not loop:
                    return
                close_old_connections()
                heartbeat.beat("watchmail", interval)
                time.sleep(interval)
        except KeyboardInterrupt:
            self.stderr.write("Stopped.")
