"""The loop our background workers share (`recommend`, `thumbnails`, `stars`, `watchmail`,
`digest send`): one pass, or with `--loop` a pass every `--interval` seconds until SIGTERM or Ctrl-C.

A subclass says what one pass does (`run_pass`) and what to print about it (a `PassOutcome`); the
loop here parses --loop/--interval, stops after the work in hand on SIGTERM, carries on after a
failed pass in --loop (a single run lets it raise), closes stale database connections between
passes, and beats the worker's heartbeat for /healthz.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import close_old_connections

from dailypapers.core import heartbeat
from dailypapers.core.schema import DatabaseCommand


@dataclass
class PassOutcome:
    """What one pass did, as the loop prints and acts on it."""

    summary: str | None = None  # stdout (verbosity >= 1) after a single run; in --loop only when `busy`
    busy: bool = False  # the pass did something worth a line in a worker's output
    notes: list[str] = field(default_factory=list)  # stdout at verbosity >= 1, after the summary
    warnings: list[str] = field(default_factory=list)  # stderr, always
    failure: str | None = None  # a single run exits non-zero with this message
    wait: float | None = None  # seconds until the next pass; None: --interval


def claimed_outcome(verb: str, done: int, held: int, failed: int, seconds: float) -> PassOutcome:
    """A pass over claimed items: "3 trained, 1 held by another worker, 0 failed (2.5 s)", a line a
    worker prints when it did or failed something."""
    return PassOutcome(
        summary=f"{done} {verb}, {held} held by another worker, {failed} failed ({seconds:.1f} s)",
        busy=bool(done or failed),
    )


class WorkerCommand(DatabaseCommand):
    """Base of the commands that run passes once or as a worker (`--loop`)."""

    name: str  # the heartbeat's name (/healthz), and the failed pass's unless `pass_name` says otherwise
    pass_name: str | None = None  # "<pass_name> pass failed: …"
    interval_setting: str | None = None  # the setting --interval defaults to, or…
    interval_default: float | None = None  # …a fixed default
    interval_help: str = "seconds between passes"
    log: logging.Logger | None = None  # where a failed pass in --loop is logged in full
    stops_on_sigterm = True  # SIGTERM finishes the work in hand, then stops
    stopped_after_single_run = True  # Ctrl-C during a single run also says "Stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep running, one pass every --interval")
        parser.add_argument("--interval", type=float, default=self.interval_default, help=self.interval_help)
        self.add_worker_arguments(parser)

    def add_worker_arguments(self, parser: CommandParser) -> None:
        """The command's own arguments, after --loop and --interval."""

    def resolve_interval(self, options: dict[str, Any]) -> float:
        interval = options["interval"]
        if interval is None:
            interval = getattr(settings, self.interval_setting)
        if interval <= 0:
            raise CommandError("--interval must be positive")
        return interval

    def progress(self, options: dict[str, Any]) -> Callable[[str], None] | None:
        """Where a pass reports each item: stdout at verbosity 2 and above."""
        return self.stdout.write if options["verbosity"] >= 2 else None

    def before_loop(self, options: dict[str, Any]) -> None:
        """Run once before the first pass (the SIGTERM handler is already in place)."""

    def after_loop(self, options: dict[str, Any]) -> None:
        """Run once after the last pass, however it ended (release what before_loop took)."""

    def run_pass(self, stop: threading.Event, options: dict[str, Any]) -> PassOutcome:
        """One pass; it should return soon after `stop` is set. `options["interval"]` is resolved."""
        raise NotImplementedError

    def handle(self, *args, **options) -> None:
        self.work(options)

    def work(self, options: dict[str, Any], stop: threading.Event | None = None) -> None:
        options = {**options, "interval": self.resolve_interval(options)}
        loop, interval, verbosity = options["loop"], options["interval"], options["verbosity"]
        stop = threading.Event() if stop is None else stop
        previous = None
        if self.stops_on_sigterm and threading.current_thread() is threading.main_thread():
            # SIGTERM (`serve` stopping, a service manager): finish the work in hand, then stop.
            previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
        try:
            self.before_loop(options)
            try:
                while not stop.is_set():
                    wait = interval
                    try:
                        outcome = self.run_pass(stop, options)
                    except Exception as exc:
                        if not loop:
                            raise
                        # A database restart or a bug: logged in full, the worker carries on.
                        name = self.pass_name or self.name
                        if self.log is not None:
                            self.log.exception("%s pass failed", name)
                        self.stderr.write(f"{name} pass failed: {type(exc).__name__}: {exc}")
                    else:
                        self.show(outcome, loop, verbosity)
                        if not loop:
                            if outcome.failure:
                                raise CommandError(outcome.failure)
                            return
                        if outcome.wait is not None:
                            wait = outcome.wait
                    close_old_connections()
                    heartbeat.beat(self.name, wait)  # /healthz: alive, and back within `wait`
                    stop.wait(wait)
            except KeyboardInterrupt:
                pass
        finally:
            self.after_loop(options)
            if previous is not None:  # a command run inside another program leaves it as it was
                signal.signal(signal.SIGTERM, previous)
        if loop or self.stopped_after_single_run:
            self.stderr.write("Stopped.")

    def show(self, outcome: PassOutcome, loop: bool, verbosity: int) -> None:
        if verbosity >= 1 and outcome.summary is not None and (not loop or outcome.busy):
            self.stdout.write(outcome.summary)
        if verbosity >= 1:
            for line in outcome.notes:
                self.stdout.write(line)
        for line in outcome.warnings:
            self.stderr.write(line)
