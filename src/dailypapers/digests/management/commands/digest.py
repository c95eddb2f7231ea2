"""`dailypapers digest send`: send the digests that are due, once or as a worker (`--loop`).
`dailypapers digest preview ADDRESS`: print the digest an address would get now (nothing is sent)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from django.core.management.base import CommandError, CommandParser

from dailypapers.core.workers import PassOutcome, WorkerCommand
from dailypapers.digests.sending import DatabaseDown, Sender

log = logging.getLogger("dailypapers.digests")


class Command(WorkerCommand):
    help = (
        "E-mail digests: `send` delivers every digest that is due; `preview ADDRESS` prints the latest "
        "digest that address would get, without sending or recording it (see README, E-mail digests)."
    )

    name = "digest"
    interval_default = 60
    interval_help = "seconds between passes (default 60)"
    log = logging.getLogger("dailypapers.digests")
    sender: Sender

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["send", "preview"], help="send, or preview ADDRESS")
        parser.add_argument("address", nargs="?", help="preview: the subscriber's e-mail address")
        super().add_arguments(parser)

    def add_worker_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="run this many sender processes side by side (default 1); they share the work safely",
        )
        # Set by --processes for its children: they stop when that process is gone.
        parser.add_argument("--parent-pid", type=int, default=0, help=argparse.SUPPRESS)

    def handle(self, *args, **options) -> None:
        if options["action"] == "preview":
            self.preview(options["address"])
            return
        if options["address"]:
            raise CommandError("send takes no address")
        interval = self.resolve_interval(options)
        processes = options["processes"]
        if processes < 1:
            raise CommandError("--processes must be at least 1")
        if processes > 1:
            self.run_processes(processes, options["loop"], interval, options["verbosity"])
            return
        self.sender = Sender(report=self.progress(options))
        parent_pid = options.get("parent_pid", 0)
        if parent_pid:
            threading.Thread(target=_stop_when_orphaned, args=(parent_pid, self.sender), daemon=True).start()
        # SIGTERM (from --processes' parent, or a service manager) sets `stopping`: the sender
        # finishes the digests in hand, then stops.
        self.work(options, stop=self.sender.stopping)

    def run_pass(self, stop: threading.Event, options: dict[str, Any]) -> PassOutcome:
        started = time.monotonic()
        try:
            result = self.sender.run_pass()
        except DatabaseDown as exc:
            message = f"the database could not be reached ({exc}); digests stay queued"
            if not options["loop"]:
                raise CommandError(message) from exc
            log.error("digest pass stopped: %s", message)
            return PassOutcome(warnings=[f"digest pass stopped: {message}; will retry"])
        outcome = PassOutcome(
            summary=f"{result.summary()} ({time.monotonic() - started:.1f} s)",
            busy=bool(result.claimed or result.sent or result.retried),
        )
        if result.smtp_down:
            outcome.warnings.append(f"SMTP server unreachable; will retry: {result.errors[-1]}")
            outcome.failure = "the SMTP server could not be reached; digests stay queued"
        return outcome

    def run_processes(self, processes: int, loop: bool, interval: float, verbosity: int) -> None:
        """Start the same command N times (each claims its own share). A child that dies ends the
        whole command within a second, with its cause; children stop when this process dies."""
        command = [sys.executable, "-m", "dailypapers", "digest", "send", "-v", str(verbosity)]
        command += ["--parent-pid", str(os.getpid())]
        if loop:
            command += ["--loop", "--interval", str(interval)]
        children = [subprocess.Popen(command) for _ in range(processes)]
        failed: tuple[int, subprocess.Popen] | None = None
        try:
            while failed is None and any(child.returncode is None for child in children):
                for number, child in enumerate(children, 1):
                    code = child.poll()
                    if code is not None and (code != 0 or loop) and failed is None:
                        failed = (number, child)  # a --loop child never ends by itself
                time.sleep(0.1)
        except KeyboardInterrupt:
            _stop(children, signal.SIGINT)
            self.stderr.write("Stopped.")
            return
        if failed is None:
            return
        number, child = failed
        _stop(children, signal.SIGTERM)
        code = child.returncode
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"
        raise CommandError(
            f"sender process {number} of {processes} (pid {child.pid}) {how}; the others were stopped. "
            "Digests it had in hand are recovered by the next `digest send`."
        )

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


def _stop(children: list[subprocess.Popen], signum: int, grace: float = 15) -> None:
    """Ask the children still running to stop after the digests in hand; kill any still there later."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signum)
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _stop_when_orphaned(parent_pid: int, sender: Sender, grace: float = 5) -> None:
    """Run by each --processes child: once the parent is gone (killed, even with SIGKILL), finish
    the digests in hand and exit; a child stuck longer than `grace` seconds exits all the same."""
    while os.getppid() == parent_pid:
        time.sleep(0.2)
    log.warning("digest sender: the parent process %d is gone; stopping", parent_pid)
    sender.stopping.set()
    time.sleep(grace)
    os._exit(3)
