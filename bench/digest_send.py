"""Benchmark: compose and deliver one day's digests to 10,000 confirmed subscribers.

    python bench/digest_send.py [SUBSCRIBERS]     (default 10000; fresh SQLite home;
                                                   DATABASE_URL=postgres://... to use PostgreSQL;
                                                   BENCH_PROCESSES=N for `digest send --processes N`)

A day of real papers (three Hugging Face daily files, listed on the day the digest covers; arXiv
categories are assigned round-robin since those files carry none), subscribers with varied
filters (none, categories, keywords, saved searches, followed authors, mixes; 5/10/20 papers), and a real SMTP
server (aiosmtpd) in a separate process that counts what it accepts. Prints:

- baseline: the same number of ready-made messages pushed through the same SMTP connection
  (the transport floor), in the same process;
- the sender's full pass (`Sender().run_pass()`, what `dailypapers digest send` runs): claim,
  ledger, select papers, render, deliver, record; with its ratio to the baseline.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HF = REPO.parent / "shared" / "data" / "hf-daily-papers"
CATEGORIES = ["cs.CL", "cs.CV", "cs.LG", "cs.AI", "cs.RO", "stat.ML"]
KEYWORDS = [
    "language model",
    "diffusion",
    "reasoning",
    "agent",
    "video",
    "benchmark",
    "reinforcement learning",
    "retrieval",
    "3D",
    "robot",
    "multimodal",
    "transformer",
    "quantization",
    "attention",
]


SEARCHES = [
    "efficient inference for large language models",
    "robot manipulation from video",
    "video generation",
    "reasoning with reinforcement learning",
    "benchmarks for multimodal models",
    "agents that use tools",
]


def smtp_sink(port: int) -> None:
    """Child process: accept everything, print how many messages came when told to stop."""
    import asyncio  # noqa: F401

    from aiosmtpd.controller import Controller

    class Counter:
        count = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.count += 1
            return "250 OK"

    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])  # for sigwait, in every thread
    handler = Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.sigwait([signal.SIGTERM])
    controller.stop()
    print(handler.count, flush=True)


PROCESSES = int(os.environ.get("BENCH_PROCESSES", "1"))


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    home = tempfile.mkdtemp(prefix="dailypapers-bench-")
    os.environ["DAILYPAPERS_HOME"] = home
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    os.environ["DAILYPAPERS_EMAIL_HOST"] = "127.0.0.1"
    os.environ["DAILYPAPERS_EMAIL_PORT"] = port = str(_free_port())
    os.environ.setdefault("DAILYPAPERS_LOG_LEVEL", "ERROR")
    sink = subprocess.Popen([sys.executable, __file__, "--sink", port], stdout=subprocess.PIPE, text=True)
    assert sink.stdout.readline().strip() == "ready"

    import django

    django.setup()
    from django.core.mail import EmailMessage, get_connection
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from dailypapers.digests.models import Delivery, Subscription
    from dailypapers.digests.schedule import latest_period
    from dailypapers.digests.sending import Sender
    from dailypapers.sources import hf_daily
    from dailypapers.sources.ingest import upsert
    from dailypapers.sources.records import ListingRecord

    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)  # a database of its own, emptied
    period = latest_period("daily", timezone.now())
    records = []
    for path in sorted(HF.glob("*.json"))[-3:]:
        records += hf_daily.read_file(path).records
    for i, record in enumerate(records):
        record.categories = [CATEGORIES[i % len(CATEGORIES)], CATEGORIES[(i * 7 + 3) % len(CATEGORIES)]]
        record.listings = [ListingRecord(day=period.start)]
    from dailypapers.papers.signals import batched_changes

    with batched_changes():  # indexed for search as an import is (saved searches run through it)
        upsert(records)
    authors = sorted({name for r in records for name in r.authors or []})

    rng = random.Random(42)
    now = timezone.now()
    subscribers = []
    for i in range(total):
        kind = rng.random()
        fields = {"max_papers": rng.choice([5, 10, 10, 10, 20])}
        if kind < 0.35:
            pass  # top papers by votes
        elif kind < 0.55:
            fields["categories"] = " ".join(rng.sample(CATEGORIES, rng.randint(1, 2)))
        elif kind < 0.70:
            fields["keywords"] = "\n".join(rng.sample(KEYWORDS, rng.randint(1, 3)))
        elif kind < 0.75:
            fields["search_query"] = rng.choice(SEARCHES)
        elif kind < 0.9:
            fields["authors"] = "\n".join(rng.sample(authors, rng.randint(1, 5)))
        else:
            fields["categories"] = rng.choice(CATEGORIES)
            fields["keywords"] = rng.choice(KEYWORDS)
            fields["authors"] = rng.choice(authors)
        subscribers.append(
            Subscription(
                email=f"reader{i}@example.org", status="active", confirmed_at=now, next_due=now, **fields
            )
        )
    Subscription.objects.bulk_create(subscribers, batch_size=1000)
    distinct = len({s.filter_key() for s in subscribers})

    # Baseline: the transport alone, same server, same process.
    body = "x" * 6000
    smtp = get_connection(fail_silently=False)
    smtp.open()
    start = time.perf_counter()
    for i in range(total):
        EmailMessage("baseline", body, "bench@example.org", [f"b{i}@example.org"], connection=smtp).send()
    baseline_s = time.perf_counter() - start
    smtp.close()

    profile = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    start = time.perf_counter()
    if PROCESSES > 1:
        # `dailypapers digest send --processes N`: N senders share the due set.
        call_command("digest", "send", processes=PROCESSES, verbosity=0)
        result = None
    else:
        result = Sender().run_pass()
    send_s = time.perf_counter() - start
    if profile:
        profile.disable()
        profile.print_stats("tottime")

    sink.send_signal(signal.SIGTERM)
    received = int(sink.communicate(timeout=60)[0].split()[-1]) - total
    sent = Delivery.objects.filter(status="sent").count()
    empty = Delivery.objects.filter(status="empty").count()
    assert sent == received and (result is None or result.sent == sent), (sent, received)
    assert sent + empty == total
    print(
        f"database: {connection.vendor}; papers on the day: {len(records)}; subscribers: {total}; "
        f"distinct filter sets: {distinct}"
    )
    print(
        f"baseline (SMTP only, {total} ready-made messages): {baseline_s:6.2f} s  "
        f"{total / baseline_s:7.0f} msg/s"
    )
    print(
        f"digest send, {PROCESSES} process(es) (claim, ledger, compose, deliver):  {send_s:6.2f} s  "
        f"{total / send_s:7.0f} digests/s  "
        f"{send_s / baseline_s:.2f}x baseline"
    )
    print(f"sent: {sent}, empty (not sent): {empty}, received by the SMTP server: {received}")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--sink":
        smtp_sink(int(sys.argv[2]))
    else:
        main()
