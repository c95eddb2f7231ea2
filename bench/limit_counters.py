"""Benchmark: per-client limits counted in the database (core/limits.py) against Redis INCR+EXPIRE.

    DATABASE_URL=postgres://... python bench/limit_counters.py [--redis redis://127.0.0.1:6379/5]
        [--processes 4] [--hits 1000]

Several processes (each a server worker, on one node or several) count events at once, first all on
ONE client's key (the worst case: every count waits for the same row or key) and then each on
keys of its own. Prints counts per second and the mean cost of one count, and checks that the
total is exact. Needs the `redis` package and a Redis for the Redis half; it uses only keys of its
own (prefixed `bench-limits:`), deleted at the end, never flushing anything.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")


def _db_worker(args: tuple[str, int, str]) -> float:
    key, hits, rate = args
    import django

    django.setup()
    from dailypapers.core.limits import Limit

    limit = Limit("bench", rate)
    start = time.perf_counter()
    for _ in range(hits):
        limit.hit(key)
    return time.perf_counter() - start


def _redis_worker(args: tuple[str, int, str]) -> float:
    key, hits, url = args
    import redis

    client = redis.Redis.from_url(url)
    start = time.perf_counter()
    for _ in range(hits):
        with client.pipeline(transaction=True) as pipe:  # MULTI: INCR and EXPIRE NX as one
            pipe.incr(key)
            pipe.expire(key, 3600, nx=True)
            pipe.execute()
    return time.perf_counter() - start


def run(worker, keys: list[str], hits: int, extra: str) -> tuple[float, float]:
    with mp.get_context("spawn").Pool(len(keys)) as pool:
        start = time.perf_counter()
        spent = pool.map(worker, [(k, hits, extra) for k in keys])
        wall = time.perf_counter() - start
    return len(keys) * hits / wall, sum(spent) / (len(keys) * hits) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default="")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--hits", type=int, default=1000)
    opts = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    from dailypapers.core.models import RateCounter
    from dailypapers.core.schema import ensure_schema

    ensure_schema(report=lambda *_: None)
    total = opts.processes * opts.hits
    rate = f"{10 * total}/h"
    print(f"{connection.vendor}, {opts.processes} processes x {opts.hits} counts")
    tag = uuid.uuid4().hex[:8]
    for label, keys in (
        ("one client", [f"{tag}-one"] * opts.processes),
        ("a client each", [f"{tag}-{i}" for i in range(opts.processes)]),
    ):
        per_s, ms = run(_db_worker, keys, opts.hits, rate)
        from dailypapers.core.limits import Limit

        rows = RateCounter.objects.filter(key__in=[Limit("bench", rate)._row_key(k) for k in set(keys)])
        counted = sum(rows.values_list("count", flat=True))
        print(f"  database, {label}: {per_s:,.0f} counts/s, {ms:.2f} ms each, exact: {counted == total}")
        if opts.redis:
            import redis

            rkeys = [f"bench-limits:{k}" for k in keys]
            per_s, ms = run(_redis_worker, rkeys, opts.hits, opts.redis)
            client = redis.Redis.from_url(opts.redis)
            counted = sum(int(client.get(k)) for k in set(rkeys))
            client.delete(*set(rkeys))
            print(f"  Redis,    {label}: {per_s:,.0f} counts/s, {ms:.2f} ms each, exact: {counted == total}")
    RateCounter.objects.filter(key__startswith="bench:").delete()


if __name__ == "__main__":
    main()
