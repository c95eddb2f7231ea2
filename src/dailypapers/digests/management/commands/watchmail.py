"""`dailypapers watchmail`: e-mail members the notifications of the papers they watch, once or as a
worker (`--loop`). Several workers may run side by side: each member's notifications are claimed by
one of them (see dailypapers.digests.watch_mail)."""

from __future__ import annotations

import threading
import time
from typing import Any

from dailypapers.core.workers import PassOutcome, WorkerCommand
from dailypapers.digests.watch_mail import WatchMailer


class Command(WorkerCommand):
    help = "E-mail the notifications of watched papers (see README, Watching papers)."
    name = "watchmail"
    interval_default = 60
    interval_help = "seconds between passes (default 60)"
    stops_on_sigterm = False
    mailer: WatchMailer

    def before_loop(self, options: dict[str, Any]) -> None:
        self.mailer = WatchMailer()

    def run_pass(self, stop: threading.Event, options: dict[str, Any]) -> PassOutcome:
        started = time.monotonic()
        result = self.mailer.run_pass()
        outcome = PassOutcome(
            summary=f"{result.summary()} ({time.monotonic() - started:.1f} s)",
            busy=bool(result.sent or result.retried),
        )
        if result.smtp_down:
            if options["loop"]:
                outcome.warnings.append(f"{result.errors[-1]}; will retry")
            else:
                outcome.failure = f"{result.errors[-1]}; the notifications stay queued"
        return outcome
