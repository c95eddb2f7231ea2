"""Benchmark: where per-client limits count (core/limits.py), store against store, in one run.

    [DATABASE_URL=postgres://...] python bench/limit_counters.py [--redis redis://127.0.0.1:6379/7]
        [--processes 2] [--threads 4] [--seconds 3]

Like the server (2 workers x 4 threads), several processes of several threads count events at once
for a few seconds, first all on ONE client's key (the worst case: every count waits for the same
row, slot or key; what wrk from one address does) and then each thread on a key of its own. For
each store: counts per second, the mean time a thread spent per count, counts/s as a share of the
fastest store's, and whether the total is exact (the store's count equals the counts made).

Stores: the database through Django's cursor (the counting before this benchmark), the database
prepared (PostgreSQL; what DatabaseStore does there), a separate SQLite counters file (WAL,
synchronous=OFF; a candidate, kept here only), the memory-mapped counter file (FileStore) and,
with --redis, Redis (RedisStore: one Lua script per event). Redis keys are the bench's own (a
random prefix), deleted at the end; nothing is flushed.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")


class SqliteFileStore:
    """A candidate: the counts in a SQLite file of their own, so a count never takes the main
    database's write lock. One connection per thread, WAL, no sync."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.local = threading.local()
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS c (key TEXT PRIMARY KEY, n INTEGER, e REAL)")

    def _db(self) -> sqlite3.Connection:
        db = getattr(self.local, "db", None)
        if db is None:
            db = self.local.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA synchronous=OFF")
        return db

    def hit(self, key: str, now: float, seconds: float) -> tuple[int, float]:
        return (
            self._db()
            .execute(
                "INSERT INTO c VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET "
                "n = CASE WHEN e <= ? THEN 1 ELSE n + 1 END, e = CASE WHEN e <= ? THEN excluded.e ELSE e END "
                "RETURNING n, e",
                (key, now + seconds, now, now),
            )
            .fetchall()[0]
        )

    def count(self, key: str, now: float) -> int:
        row = self._db().execute("SELECT n FROM c WHERE key = ? AND e > ?", (key, now)).fetchone()
        return row[0] if row else 0


def make_store(name: str, folder: str, redis_url: str):
    from dailypapers.core import limits

    if name.startswith("database"):
        store = limits.DatabaseStore()
        if name == "database, Django cursor":
            store._hit_prepared = _django_cursor_hit(store)  # the path before: client-side binding
        return store
    if name == "SQLite counters file":
        return SqliteFileStore(os.path.join(folder, "counters.sqlite3"))
    if name == "counter file (mmap)":
        return limits.FileStore(Path(folder) / "limit-counters")
    from dailypapers.core.cache import TolerantRedisCache

    return limits.RedisStore(TolerantRedisCache(redis_url, {"KEY_PREFIX": "bench"}), fallback=None)


def _django_cursor_hit(store):
    from django.db import connection

    def hit(params):
        with connection.cursor() as cursor:
            cursor.execute(store._upsert_sql(), params)
            return cursor.fetchall()[0]

    return hit


def worker(args: tuple[str, str, str, list[str], float, float]) -> tuple[int, float]:
    """One process: a thread per key, counting from `start_at` for `seconds`; the counts made (the
    untimed first ones included) and the seconds the threads spent on the timed ones."""
    name, folder, redis_url, keys, start_at, seconds = args
    import django

    django.setup()
    from django.db import connections

    store = make_store(name, folder, redis_url)
    made: list[int] = []
    spent: list[float] = []

    def run(key: str) -> None:
        try:
            store.hit(key, time.time(), 3600)  # connect, prepare, open the file before the clock
            time.sleep(max(0.0, start_at - time.time()))
            began, stop, n = time.perf_counter(), start_at + seconds, 0
            while time.time() < stop:
                store.hit(key, time.time(), 3600)
                n += 1
            spent.append(time.perf_counter() - began)
            made.append(n + 1)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(made), sum(spent)


def measure(
    name: str, folder: str, redis_url: str, keys: list[list[str]], seconds: float
) -> tuple[float, float, bool]:
    """Counts per second, mean ms a count, and whether the stored counts equal the counts made."""
    start_at = time.time() + 3.0  # every process set up and waiting
    with mp.get_context("spawn").Pool(len(keys)) as pool:
        done = pool.map(worker, [(name, folder, redis_url, k, start_at, seconds) for k in keys])
    made = sum(m for m, _ in done)
    every = [key for k in keys for key in k]
    timed = made - len(every)  # each thread's first count (connecting, preparing) is not timed
    store = make_store(name, folder, redis_url)
    counted = sum(store.count(key, time.time()) for key in set(every))
    return timed / seconds, sum(s for _, s in done) / timed * 1000, counted == made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default="", help="a Redis URL (a database number of its own)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=3.0, help="how long each store counts")
    opts = parser.parse_args()
    import django

    django.setup()
    from django.db import connection

    from dailypapers.core.models import RateCounter
    from dailypapers.core.schema import ensure_schema

    ensure_schema(report=lambda *_: None)
    names = ["database, Django cursor"]
    if connection.vendor == "postgresql":
        names.append("database, prepared")
    names += ["SQLite counters file", "counter file (mmap)"] + (["Redis"] if opts.redis else [])
    print(
        f"{connection.vendor}, {opts.processes} processes x {opts.threads} threads, "
        f"{opts.seconds:g} s a store, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory() as folder:
        for label, shape in (
            ("one client", lambda p, t: f"{tag}-one"),
            ("a client each", lambda p, t: f"{tag}-{p}-{t}"),
        ):
            results = {}
            for n, name in enumerate(names):  # keys of each store's own (two share the database)
                keys = [
                    [f"bench:{shape(p, t)}-{n}" for t in range(opts.threads)] for p in range(opts.processes)
                ]
                results[name] = measure(name, folder, opts.redis, keys, opts.seconds)
            best = max(per_s for per_s, _, _ in results.values())
            print(f"\n{label}:\n| store | counts/s | of the fastest | ms a count | exact |")
            print("|---|---|---|---|---|")
            for name, (per_s, ms, exact) in results.items():
                print(
                    f"| {name} | {per_s:,.0f} | {per_s / best:.0%} | {ms:.3f} | {'yes' if exact else 'NO'} |"
                )
    RateCounter.objects.filter(key__startswith="bench:").delete()
    if opts.redis:
        from dailypapers.core.cache import TolerantRedisCache

        cache = TolerantRedisCache(opts.redis, {"KEY_PREFIX": "bench"})
        cache.run("x", lambda r: [r.delete(k) for k in r.scan_iter(f"bench:*limit:bench:{tag}-*")], None)


if __name__ == "__main__":
    main()
