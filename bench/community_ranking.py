"""Benchmark: the trending sort against the votes sort, and upvotes per second (alone and contended).

    python bench/community_ranking.py [--papers N] [--pg postgres://postgres@127.0.0.1:5432]

Loads N papers (default 20,000) listed over 30 feed days into a fresh SQLite home (and, with --pg, a
fresh PostgreSQL database made and dropped on that server), then prints:
- one page (50 cards) of a month feed sorted by votes (the baseline) and by trending, median of 15;
- upvotes through Upvote.toggle one after another, and from 8 threads at once on one paper (the
  final count is checked to be exact).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))


def run(papers: int) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from dailypapers.community.models import Upvote
    from dailypapers.papers.models import Listing, Paper
    from dailypapers.papers.periods import feed_day
    from dailypapers.papers.signals import batched_changes
    from dailypapers.sources.ingest import upsert
    from dailypapers.sources.records import ImportedStats, ListingRecord, PaperRecord

    call_command("migrate", verbosity=0)
    rng = random.Random(7)
    today = feed_day()
    now = timezone.now()
    records = [
        PaperRecord(
            arxiv_id=f"2611.{n:05d}",
            title=f"Paper {n}",
            abstract="An abstract.",
            authors=["Ada Lovelace"],
            published_at=now,
            stats=ImportedStats("huggingface", rng.randint(0, 300), rng.randint(0, 20), now),
            listings=[
                ListingRecord(
                    day=today - dt.timedelta(days=n % 30),
                    submitted_at=now - dt.timedelta(days=n % 30, minutes=rng.randint(0, 1400)),
                )
            ],
        )
        for n in range(papers)
    ]
    start = time.perf_counter()
    with batched_changes(notify=False):  # the search index is not part of this measurement
        upsert(records)
    print(f"{connection.vendor}: loaded {papers:,} papers in {time.perf_counter() - start:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as a running site has them

    def page(sort: str) -> float:
        start = time.perf_counter()
        qs = (
            Listing.objects.visible()
            .between(today - dt.timedelta(days=29), today)
            .latest_per_paper()
            .ranked(sort)
            .select_related("paper")
        )
        rows = list(qs[:50])
        assert len(rows) == 50
        return time.perf_counter() - start

    for sort in ("votes", "trending"):
        page(sort)  # warm the cache
    votes = statistics.median(page("votes") for _ in range(15))
    trend = statistics.median(page("trending") for _ in range(15))
    print(f"month feed page, sort=votes (baseline): {votes * 1000:7.1f} ms  1.00x")
    print(f"month feed page, sort=trending:         {trend * 1000:7.1f} ms  {trend / votes:.2f}x")

    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"bench{i}") for i in range(400)])
    paper = Paper.objects.get(arxiv_id="2611.00000")
    start = time.perf_counter()
    for user in users[:200]:
        Upvote.toggle(user, paper, on=True)
    alone = 200 / (time.perf_counter() - start)
    print(f"upvotes one after another:              {alone:7.0f} votes/s  1.00x")

    target = Paper.objects.get(arxiv_id="2611.00001")
    before = target.upvote_count
    chunks = [users[i::8] for i in range(8)]
    barrier = threading.Barrier(8)

    def vote(chunk) -> None:
        barrier.wait()
        for user in chunk:
            Upvote.toggle(user, target, on=True)
        connection.close()

    threads = [threading.Thread(target=vote, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    contended = len(users) / (time.perf_counter() - start)
    target.refresh_from_db()
    assert target.upvote_count == before + len(users), "lost or doubled votes"
    print(
        f"upvotes from 8 threads on one paper:    {contended:7.0f} votes/s  {contended / alone:.2f}x (exact)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--papers", type=int, default=20_000)
    parser.add_argument("--pg", help="a PostgreSQL server URL; a scratch database is made there and dropped")
    args = parser.parse_args()
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    os.environ["DAILYPAPERS_HOME"] = tempfile.mkdtemp(prefix="dailypapers-bench-")
    if not args.pg:
        os.environ.pop("DATABASE_URL", None)
        run(args.papers)
        return
    import psycopg

    name = f"dp_community_bench_{uuid.uuid4().hex[:8]}"
    server = args.pg.rstrip("/")
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        os.environ["DATABASE_URL"] = f"{server}/{name}"
        run(args.papers)
        from django.db import connections

        connections.close_all()
    finally:
        with psycopg.connect(server + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
