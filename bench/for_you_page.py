"""Benchmark: the "For you" page and the work behind it, on the bundled demo.

    python bench/for_you_page.py [--signals 200] [--repeat 30] [--pg postgres://postgres@127.0.0.1:5432]

Loads the demo (470 papers on 20 feed days) into a fresh home (SQLite; with --pg, a scratch
PostgreSQL database made and dropped on that server), embeds it with the bundled model, and gives one
member N signals (saves, upvotes, "not interested", ratings, follows; default 200). Then prints,
each the median (p50) and p90 of --repeat runs, in-process through Django's test client:

- the member's model: reading the training input, training it, and the whole retrain (claim,
  read, train, store);
- the For you page of the latest day, its week and its month, with the model already trained and
  no page cache (every request ranks afresh), beside the community's page of the same span (the
  baseline the ratio is taken to), and with the page cache on (the member's own stored copy);
- scoring: one month's papers for 1,000 members' models in one call (learning.score_many).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))


def timed(fn, repeat: int, before=None) -> tuple[float, float, float]:
    """p50 and p90 of the wall-clock time, and p50 of this process's CPU time, in milliseconds
    (`before` runs untimed before each run). On a busy machine the CPU time is the steadier figure:
    the work is single-threaded and in-process (SQLite), so it is what the wall time would be with
    the machine to itself; with PostgreSQL it leaves out the server's share."""
    fn()  # warm: imports, first queries
    samples, cpu = [], []
    for _ in range(repeat):
        if before is not None:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    samples.sort()
    return (
        statistics.median(samples),
        samples[min(len(samples) - 1, int(0.9 * len(samples)))],
        statistics.median(cpu),
    )


def run(signals: int, repeat: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Max
    from django.test import Client

    from dailypapers.community.models import Upvote
    from dailypapers.core import pagecache
    from dailypapers.papers.models import Listing, Paper
    from dailypapers.papers.periods import Period
    from dailypapers.recommend import learning
    from dailypapers.recommend.models import Dismissal, Follow, Rating, Save, Taste
    from dailypapers.recommend.ranking import for_you, paper_batch, retrain, training_input
    from dailypapers.search.indexing import update_index
    from dailypapers.sources.demo import load_demo

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # pages name hashed static files
    start = time.perf_counter()
    if not Paper.objects.exists():  # a --home kept from an earlier run has them
        load_demo()
        update_index()  # keywords and the embeddings the model reads
    print(f"{connection.vendor}: demo loaded and embedded in {time.perf_counter() - start:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    rng = random.Random(7)
    get_user_model().objects.filter(username="reader").delete()
    member = get_user_model().objects.create_user("reader", "reader@example.org", "a long password 7")
    ids = list(Paper.objects.order_by("id").values_list("id", flat=True))
    papers = {p.pk: p for p in Paper.objects.all()}
    rng.shuffle(ids)
    counts = {"saves": signals * 60 // 100, "upvotes": signals * 25 // 100, "dismissals": signals * 10 // 100}
    counts["ratings"] = signals - sum(counts.values()) - 4
    pool = iter(ids)
    for _ in range(counts["saves"]):
        Save.add(member, papers[next(pool)])
    for _ in range(counts["upvotes"]):
        Upvote.toggle(member, papers[next(pool)], on=True)
    for _ in range(counts["dismissals"]):
        Dismissal.add(member, papers[next(pool)])
    for _ in range(counts["ratings"]):
        Rating.rate(member, papers[next(pool)], rng.choice([1, 1, -1]))
    Follow.add(member, "category", "cs.CL")
    Follow.add(member, "category", "cs.CV")
    for name in Paper.objects.get(pk=next(pool)).authorships.values_list("name", flat=True)[:2]:
        Follow.add(member, "author", name)
    Taste.signals_changed(member)  # the upvotes' own mark waits for a commit the bench never makes
    print(f"member with {signals} signals: {counts} and 4 follows")

    taste = Taste.objects.get(user=member)
    print(f"{'':<50}{'p50':>10}{'p90':>10}{'CPU p50':>11}")

    def line(label: str, figures: tuple[float, float, float], extra: str = "") -> None:
        print(f"{label:<50}{figures[0]:>7.1f} ms{figures[1]:>7.1f} ms{figures[2]:>8.1f} ms {extra}")

    line("read the training input", timed(lambda: training_input(member), repeat))
    data = training_input(member)
    line(f"train ({learning.train(data).kind})", timed(lambda: learning.train(data), repeat))

    def full_retrain() -> None:
        Taste.signals_changed(member)
        fresh = Taste.objects.select_related("user").get(pk=taste.pk)
        assert retrain(fresh)

    line("retrain: claim, read, train, store", timed(full_retrain, repeat))

    latest = Listing.objects.visible().aggregate(day=Max("day"))["day"]
    spans = [Period.containing(kind, latest) for kind in ("day", "week", "month")]
    client = Client()
    client.force_login(member)
    settings.PAGE_CACHE_SECONDS = 60
    for period in spans:
        n = for_you(member, period).candidates
        community_url = period.url()
        own_url = community_url.replace("/papers/", "/for-you/", 1)
        assert client.get(own_url).status_code == 200 and client.get(community_url).status_code == 200
        # Rendered afresh each time (the content stamp moved, as after any vote), as the site runs
        # otherwise: the span's papers and the member's model stay in the process between requests.
        base = timed(lambda url=community_url: client.get(url), repeat, before=pagecache.bump)
        mine = timed(lambda url=own_url: client.get(url), repeat, before=pagecache.bump)
        line(f"{period.kind} ({n} papers): community page (baseline)", base)
        line(
            f"{period.kind}: For you page, rendered",
            mine,
            f"{mine[0] / base[0]:.2f}x ({mine[2] / base[2]:.2f}x CPU)",
        )
        line(
            f"{period.kind}: For you page, the member's stored copy",
            timed(lambda u=own_url: client.get(u), repeat),
        )
    # Nothing kept at all: no page cache, so the span's papers are read at every request too.
    settings.PAGE_CACHE_SECONDS = 0
    for period in spans:
        line(
            f"{period.kind}: ranking alone, nothing kept", timed(lambda p=period: for_you(member, p), repeat)
        )
    settings.PAGE_CACHE_SECONDS = 60
    for period in spans:
        line(f"{period.kind}: ranking alone, span kept", timed(lambda p=period: for_you(member, p), repeat))

    month = spans[-1]
    listing_ids = list(
        Listing.objects.visible()
        .between(month.start, month.end)
        .latest_per_paper()
        .values_list("paper_id", flat=True)
    )
    model = learning.MemberModel.from_bytes(bytes(Taste.objects.get(user=member).model))
    batch = paper_batch(listing_ids, dim=len(model.vector))
    models = [model] * 1000
    line(
        f"score {len(listing_ids)} papers for 1,000 members",
        timed(lambda: learning.score_many(models, batch), max(3, repeat // 5)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--signals", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pg", help="a PostgreSQL server URL (without a database name)")
    parser.add_argument("--home", help="keep the data here (SQLite), to run again without loading the demo")
    args = parser.parse_args()
    home = args.home or tempfile.mkdtemp(prefix="dp-bench-for-you-")
    os.environ["DAILYPAPERS_HOME"] = home
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    os.environ["DAILYPAPERS_ALLOWED_HOSTS"] = "testserver"
    os.environ["DAILYPAPERS_SEARCH_FOLLOW"] = "0"
    database = None
    if args.pg:
        import psycopg

        database = f"dp_bench_for_you_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg.rstrip("/") + "/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {database}")
        os.environ["DATABASE_URL"] = f"{args.pg.rstrip('/')}/{database}"
    try:
        run(args.signals, args.repeat)
    finally:
        if database:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(args.pg.rstrip("/") + "/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


if __name__ == "__main__":
    main()
