"""Measure the digest sender's crash window: how long after the SMTP server's 250 a digest is safe.

    PYTHONPATH=src:. python bench/digest_crash_window.py [SUBSCRIBERS] [TRIALS]
        (defaults 2000 and 20; a fresh SQLite home, or DATABASE_URL=postgres://.../a_bench_db,
        which is EMPTIED first)

A real SMTP server (aiosmtpd, in its own process) notes the wall-clock time at which it hands
back each 250, and the sender runs as `digest send` does (4 SMTP connections by default).

1. Window, per digest (the sender in this process, its `_mark_sent` timed):
   - 250 → journal: the line in the worker's journal is written; a SIGKILL after this re-sends
     nothing (the next sender reads the journal);
   - 250 → commit: the `sent` UPDATE has committed (what the README called "well under a
     millisecond"; before the journal, this was the window).
2. Crashes: TRIALS times, `dailypapers digest send` in a subprocess is SIGKILLed at a random
   moment mid-batch; then the next sender's recovery runs. Duplicates per crash = digests the
   server had accepted that went back to the queue (they would go out again). Also counted: the
   same without the journal (accepted digests whose row did not say `sent` at the kill).
"""

from __future__ import annotations

import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def smtp_sink(port: int, log_path: str) -> None:
    """Child process: accept everything; one line per message: the time of its 250 and its id."""
    from aiosmtpd.controller import Controller

    log = open(log_path, "a", buffering=1)  # noqa: SIM115 (open for the process's life)
    pattern = re.compile(rb"^Message-ID: <digest\.(\d+)\.", re.M | re.I)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            found = pattern.search(envelope.original_content or envelope.content)
            log.write(f"{time.time():.6f} {found.group(1).decode() if found else 0}\n")
            return "250 OK"

    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.sigwait([signal.SIGTERM])
    controller.stop()


def _accepted(log_path: Path) -> dict[int, float]:
    accepted = {}
    for line in log_path.read_text().splitlines():
        at, pk = line.split()
        accepted[int(pk)] = float(at)
    return accepted


def _ms(values: list[float]) -> str:
    if not values:
        return "none"
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return (
        f"median {statistics.median(values) * 1000:.3f} ms, p99 {p99 * 1000:.3f} ms, "
        f"max {values[-1] * 1000:.3f} ms"
    )


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    trials = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    home = tempfile.mkdtemp(prefix="dailypapers-bench-")
    log_path = Path(home) / "smtp.log"
    log_path.touch()
    os.environ.update(
        DAILYPAPERS_HOME=home,
        DJANGO_SETTINGS_MODULE="dailypapers.settings",
        DAILYPAPERS_EMAIL_HOST="127.0.0.1",
        DAILYPAPERS_EMAIL_PORT=str(_free_port()),
        DAILYPAPERS_SITE_URL="https://papers.example.org",
        DAILYPAPERS_SEARCH_SEMANTIC="0",
    )
    os.environ.setdefault("DAILYPAPERS_LOG_LEVEL", "ERROR")
    port = os.environ["DAILYPAPERS_EMAIL_PORT"]
    sink = subprocess.Popen(
        [sys.executable, __file__, "--sink", port, str(log_path)], stdout=subprocess.PIPE, text=True
    )
    assert sink.stdout.readline().strip() == "ready"
    try:
        run(total, trials, log_path)
    finally:
        sink.send_signal(signal.SIGTERM)
        sink.wait(timeout=30)


def run(total: int, trials: int, log_path: Path) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from tests.support.factories import add_paper

    from dailypapers.digests import sending
    from dailypapers.digests.models import Delivery, Subscription
    from dailypapers.digests.schedule import latest_period

    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    day = latest_period("daily", timezone.now()).start
    for i in range(10):
        add_paper(f"2601.{i:05d}", f"Paper {i} on language models", day=day, votes=10 - i)
    now = timezone.now()
    Subscription.objects.bulk_create(
        Subscription(email=f"reader{i}@example.org", status="active", confirmed_at=now, next_due=now)
        for i in range(total)
    )

    def reset() -> None:
        Delivery.objects.all().delete()
        Subscription.objects.update(next_due=timezone.now())

    print(
        f"database: {connection.vendor}; subscribers: {total}; "
        f"SMTP connections: {settings.DIGEST_SMTP_CONNECTIONS}; cores: {os.cpu_count()}"
    )

    # 1. The window of each digest, in-process.
    class Timed(sending.Sender):
        def _mark_sent(self, delivery, paper_count):
            journaled = time.time()  # journal.accepted() has just returned
            super()._mark_sent(delivery, paper_count)
            marks[delivery.pk] = (journaled, time.time())

    reset()
    marks: dict[int, tuple[float, float]] = {}
    started = time.perf_counter()
    Timed().run_pass()
    elapsed = time.perf_counter() - started
    accepted = _accepted(log_path)
    print(f"{len(marks)} digests, {len(marks) / elapsed:.0f}/s")
    print(f"  250 -> journal written: {_ms([marks[pk][0] - accepted[pk] for pk in marks])}")
    print(f"  250 -> `sent` committed: {_ms([marks[pk][1] - accepted[pk] for pk in marks])}")

    # 2. SIGKILL at random moments.
    rng = random.Random(18)
    journal_dir = Path(settings.HOME) / "digest-accepted"
    with_journal, without_journal, gaps, in_flight = [], [], [], []
    for _ in range(trials):
        reset()
        before = set(_accepted(log_path))
        sender = subprocess.Popen(
            [sys.executable, "-m", "dailypapers", "digest", "send", "-v", "0"],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        while len(_accepted(log_path)) == len(before) and sender.poll() is None:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.02, 0.8))
        killed_at = time.time()
        os.kill(sender.pid, signal.SIGKILL)
        sender.wait()
        accepted = {pk: at for pk, at in _accepted(log_path).items() if pk not in before}
        status = dict(Delivery.objects.filter(pk__in=accepted).values_list("pk", "status"))
        without_journal.append(sum(1 for pk in accepted if status.get(pk) != "sent"))
        sending.Sender().recover_stale()  # what the next `digest send` does first
        requeued = Delivery.objects.filter(pk__in=accepted, status="pending").values_list("pk", flat=True)
        with_journal.append(len(requeued))
        gaps += [killed_at - accepted[pk] for pk in requeued]
        # A 250 stamped after the kill never reached the sender: the server took the message while
        # the sender waited for its reply. No client can close that (RFC 1047's duplicate case).
        in_flight.append(sum(1 for pk in requeued if accepted[pk] >= killed_at))
        for path in journal_dir.glob("*.log"):
            path.unlink()
    if not trials:
        return
    print(f"SIGKILL at a random moment mid-batch, {trials} times:")
    print(
        f"  re-sent per crash: mean {statistics.mean(with_journal):.2f}, max {max(with_journal)} "
        f"(crashes with any: {sum(1 for n in with_journal if n)} of {trials})"
    )
    print(
        f"  without the journal (accepted, not marked sent at the kill): mean "
        f"{statistics.mean(without_journal):.2f}, max {max(without_journal)}"
    )
    print(
        f"  of the {sum(with_journal)} re-sent, {sum(in_flight)} had their 250 stamped after the kill "
        "(never read by the sender); the others' 250 came before the kill by: "
        + _ms([g for g in gaps if g > 0])
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[1] == "--sink":
        smtp_sink(int(sys.argv[2]), sys.argv[3])
    else:
        main()
