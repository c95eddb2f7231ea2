"""Per-client limits (core.limits): the rate syntax, counting, windows, reset, and exact counts when
many threads or processes hit one key at once, in each store: the database (SQLite and PostgreSQL),
the node's counter file, Redis; and what happens when Redis cannot be reached."""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time

import pytest
from django.core.cache import caches
from django.db import connection, connections
from django.test import Client

from dailypapers.core import limits
from dailypapers.core.cache import TolerantRedisCache
from dailypapers.core.env import Rate, parse_rate
from dailypapers.core.limits import DatabaseStore, FileStore, Limit, RedisStore
from dailypapers.core.models import RateCounter
from tests.support.redis_server import redis_server
from tests.support.served import free_port


@pytest.fixture
def clock(monkeypatch):
    """A clock the test moves by hand: clock.now += 60."""

    class Clock:
        now = 1_000_000.0

    monkeypatch.setattr(limits, "clock", lambda: Clock.now)
    return Clock


@pytest.fixture(scope="module")
def redis_url():
    with redis_server() as (url, _process):
        yield url


def redis_cache(url: str) -> TolerantRedisCache:
    return TolerantRedisCache(url, {"KEY_PREFIX": "limits-test"})


@pytest.fixture(params=["database", "file", "redis"])
def store(request, tmp_path):
    """Each store, as Limit(..., store=...) uses it; the database one on the run's database."""
    if request.param == "database":
        request.getfixturevalue("db")
        return DatabaseStore()
    if request.param == "file":
        return FileStore(tmp_path / "counters", buckets=64)
    cache = redis_cache(request.getfixturevalue("redis_url"))
    cache.clear()
    # Its fallback is never asked while Redis answers (test_redis_down_* cover it).
    return RedisStore(cache, FileStore(tmp_path / "fallback", buckets=64))


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("300/m", Rate(300, 60)),
        ("10/h", Rate(10, 3600)),
        ("1/d", Rate(1, 86400)),
        ("2/s", Rate(2, 1)),
        ("5/15m", Rate(5, 900)),
        ("5/900s", Rate(5, 900)),
        (" 3/m ", Rate(3, 60)),
        ("0/m", Rate(0, 60)),
        ("", None),
    ],
)
def test_rates_read(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["5", "5/", "5/x", "5/0m", "-1/m", "m/5", "5/m/", "5 per minute", "1.5/m"])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate(text)


def test_hits_count_until_the_limit(clock, store):
    limit = Limit("t", "3/m", store)
    usages = [limit.hit("ada") for _ in range(5)]
    assert [u.allowed for u in usages] == [True, True, True, False, False]
    assert [u.remaining for u in usages] == [2, 1, 0, 0, 0]
    assert {u.limit for u in usages} == {3} and {u.retry_after for u in usages} == {60}
    clock.now += 59.5
    assert limit.hit("ada").retry_after == 1  # rounded up: never "retry in 0 s"
    # Refused events count too: a client hammering stays refused.
    assert store.count(limit._row_key("ada"), clock.now) == 6


def test_keys_and_limits_count_apart(clock, store):
    first, second = Limit("first", "1/m", store), Limit("second", "1/m", store)
    assert first.hit("ada").allowed and not first.hit("ADA").allowed  # keys ignore case
    assert first.hit("bob").allowed and second.hit("ada").allowed
    # An empty key (a blank account name) is never counted nor blocked.
    assert all(first.hit("").allowed for _ in range(3)) and not first.blocked("")


def test_a_window_ends_and_a_new_one_starts(clock, store):
    limit = Limit("t", "2/15m", store)
    limit.hit("ada")
    clock.now += 600
    assert limit.hit("ada").allowed  # the second event, 10 minutes in
    assert not limit.hit("ada").allowed
    assert limit.blocked("ada")
    clock.now += 299  # the window started at the first event, 15 minutes ago less a second
    assert limit.blocked("ada") and limit.hit("ada").retry_after == 1
    clock.now += 1
    assert not limit.blocked("ada")
    usage = limit.hit("ada")
    assert usage.allowed and usage.remaining == 1 and usage.retry_after == 900
    # Windows keep rolling over, each from its own first event.
    for _ in range(3):
        clock.now += 900
        assert [limit.hit("ada").allowed for _ in range(3)] == [True, True, False]


def test_blocked_counts_nothing_and_reset_forgets(clock, store):
    limit = Limit("t", "2/h", store)
    assert not limit.blocked("ada") and not limit.blocked("ada")
    limit.hit("ada")
    assert not limit.blocked("ada")
    limit.hit("ada")
    assert limit.blocked("ada") and not limit.blocked("bob")
    limit.reset("ada")
    assert not limit.blocked("ada") and limit.hit("ada").remaining == 1
    limit.reset("nobody")  # nothing to forget


def test_retry_after_is_never_more_than_a_window(clock, store):
    # Two server processes read the clock; the later reading starts the window first.
    limit = Limit("t", "1/15m", store)
    clock.now += 0.5
    limit.hit("ada")
    clock.now -= 0.5
    assert limit.hit("ada").retry_after == 900  # not 901


def test_give_back_returns_one_event_of_the_running_window(clock, store):
    limit = Limit("t", "2/h", store)
    limit.hit("ada")
    limit.hit("ada")
    assert limit.blocked("ada")
    limit.give_back("ADA")
    assert not limit.blocked("ada") and limit.hit("ada").remaining == 0
    limit.give_back("bob")  # nothing counted: nothing to give back
    assert store.count(limit._row_key("bob"), clock.now) == 0 and limit.hit("bob").remaining == 1
    clock.now += 3600
    limit.give_back("ada")  # an ended window is left as it is
    assert limit.hit("ada").remaining == 1


def test_an_empty_rate_is_no_limit(tmp_path):
    limit = Limit("t", "", FileStore(tmp_path / "counters", buckets=4))
    assert not limit.enabled
    assert all(limit.hit("ada").allowed for _ in range(10)) and not limit.blocked("ada")
    assert not (tmp_path / "counters").exists()


@pytest.mark.django_db
def test_database_rows_name_no_one_and_ended_windows_are_swept(clock):
    store = DatabaseStore()
    short, long = Limit("short", "1/m", store), Limit("long", "1/d", store)
    for key in ("a", "b", "c"):
        short.hit(key)
    long.hit("a")
    assert not RateCounter.objects.filter(key__contains=":a").exists()  # sha256 of the key, not the key
    clock.now += 60
    short.hit("a")  # the row for "a" starts again; "b" and "c" have ended and go
    assert RateCounter.objects.count() == 2
    assert sorted(RateCounter.objects.values_list("count", flat=True)) == [1, 1]


@pytest.mark.django_db
def test_the_store_follows_the_settings(settings, redis_url):
    default = limits.default_store()
    if connection.vendor == "postgresql":
        assert isinstance(default, DatabaseStore)  # exact across every node sharing the database
    else:
        assert isinstance(default, FileStore) and default.path == settings.HOME / "limit-counters"
    settings.CACHES = {
        "default": {"BACKEND": "dailypapers.core.cache.TolerantRedisCache", "LOCATION": redis_url}
    }
    redis = limits.default_store()
    assert isinstance(redis, RedisStore) and redis.fallback is default
    # Counted in the site's Redis, under the cache's key prefix.
    Limit("seen", "5/m").hit("ada")
    assert any(b"limit:seen:" in key for key in redis.cache.run("x", lambda r: r.keys("*"), []))


# --- the counter file --------------------------------------------------------------------------


def test_the_counter_file_reuses_ended_slots_and_makes_room_when_full(clock, tmp_path, caplog):
    store = FileStore(tmp_path / "counters", buckets=1)  # one bucket: 8 slots for every key
    limit = Limit("t", "5/m", store)
    for n in range(8):
        for _ in range(n + 2):
            limit.hit(f"client{n}")
    with caplog.at_level(logging.WARNING, logger="dailypapers.core.limits"):
        assert limit.hit("newcomer").remaining == 4
        assert limit.hit("another").remaining == 4
    # Full: the clients with the fewest events made room (client0 with 2, then the newcomer's 1).
    counts = {name: store.count(limit._row_key(name), clock.now) for name in ("client0", "newcomer")}
    assert counts == {"client0": 0, "newcomer": 0}
    assert [store.count(limit._row_key(f"client{n}"), clock.now) for n in range(1, 8)] == list(range(3, 10))
    assert sum("are full" in r.getMessage() for r in caplog.records) == 1  # said once, not every time
    clock.now += 60  # every window ends: their slots are free again, without a warning
    caplog.clear()
    for n in range(8):
        assert limit.hit(f"fresh{n}").remaining == 4
    assert not caplog.records


def test_a_counter_file_from_another_layout_starts_afresh(clock, tmp_path):
    path = tmp_path / "counters"
    Limit("t", "1/m", FileStore(path, buckets=4)).hit("ada")
    assert not Limit("t", "1/m", FileStore(path, buckets=4)).hit("ada").allowed  # the same file, reopened
    assert Limit("t", "1/m", FileStore(path, buckets=8)).hit("ada").allowed
    store = FileStore(path, buckets=8)
    store.clear()
    assert path.stat().st_size == store.size and Limit("t", "1/m", store).hit("ada").allowed


# --- exact under concurrency: every hit is one atomic step -------------------------------------

LIMIT = 20


_racing: list = []  # the store the forked workers count in (they inherit it: it is not pickled)


def _hit_many(store, hits: int, start_at: float) -> list[bool]:
    """`hits` events on one key, starting together with the other workers."""
    store = store or _racing[0]
    time.sleep(max(0.0, start_at - time.time()))
    try:
        return [Limit("race", f"{LIMIT}/h", store).hit("203.0.113.9").allowed for _ in range(hits)]
    finally:
        connections.close_all()


def _hits(store) -> int:
    # A database event costs a round trip and a commit: fewer of them keep the test short.
    return 12 if isinstance(store, DatabaseStore) else 150


@pytest.mark.django_db(transaction=True)
def test_threads_get_exactly_the_limit(store):
    hits, start_at = _hits(store), time.time() + 0.3
    results: list[list[bool]] = []
    workers = [
        threading.Thread(target=lambda: results.append(_hit_many(store, hits, start_at))) for _ in range(6)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    allowed = [a for result in results for a in result]
    assert len(allowed) == 6 * hits and allowed.count(True) == LIMIT
    assert store.count(Limit("race", "1/h")._row_key("203.0.113.9"), time.time()) == 6 * hits


@pytest.mark.django_db(transaction=True)
def test_processes_get_exactly_the_limit(store):
    """Server processes each count through their own connection, file mapping or Redis client."""
    connections.close_all()  # each forked worker opens its own connection
    hits, start_at = _hits(store), time.time() + 1.0
    _racing[:] = [store]
    with multiprocessing.get_context("fork").Pool(4) as pool:
        results = pool.starmap(_hit_many, [(None, hits, start_at)] * 4)
    allowed = [a for result in results for a in result]
    assert len(allowed) == 4 * hits and allowed.count(True) == LIMIT
    assert store.count(Limit("race", "1/h")._row_key("203.0.113.9"), time.time()) == 4 * hits


# --- Redis unreachable --------------------------------------------------------------------------


def test_redis_down_limits_count_in_the_fallback(clock, tmp_path, caplog):
    """A Redis that cannot be reached (a closed port): every event is counted, exactly, by the store
    the site uses without Redis, and the limit holds; the outage is logged once."""
    fallback = FileStore(tmp_path / "counters", buckets=64)
    store = RedisStore(redis_cache(f"redis://127.0.0.1:{free_port()}/7"), fallback)
    limit = Limit("t", "3/m", store)
    with caplog.at_level(logging.ERROR, logger="dailypapers.cache"):
        assert [limit.hit("ada").allowed for _ in range(5)] == [True, True, True, False, False]
        assert limit.blocked("ada") and limit.hit("bob").allowed
        limit.give_back("ada")
        assert fallback.count(limit._row_key("ada"), clock.now) == 4
        limit.reset("ada")
        assert fallback.count(limit._row_key("ada"), clock.now) == 0
    assert sum("unreachable" in r.getMessage() for r in caplog.records) == 1


def test_redis_going_away_mid_window_keeps_limiting(clock, tmp_path, caplog):
    with redis_server() as (url, process):
        fallback = FileStore(tmp_path / "counters", buckets=64)
        limit = Limit("t", "3/m", RedisStore(redis_cache(url), fallback))
        assert [limit.hit("ada").allowed for _ in range(2)] == [True, True]
        process.kill()
        process.wait(timeout=10)
        with caplog.at_level(logging.ERROR, logger="dailypapers.cache"):
            # The fallback's count starts afresh: at most one more window's allowance, never unlimited.
            assert [limit.hit("ada").allowed for _ in range(5)] == [True, True, True, False, False]


@pytest.mark.django_db
def test_api_answers_429_per_client_with_redis_down(settings):
    """Through the site: with DAILYPAPERS_CACHE_URL naming a Redis that is not there, a client past
    its allowance gets 429 + Retry-After, and another client is still served (on SQLite counted in
    the fallback, the counter file; on PostgreSQL in the database, as always)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "dailypapers.core.cache.TolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/7",
        }
    }
    settings.API_READ_RATE = "2/m"
    client = Client()
    assert [client.get("/api/daily_papers").status_code for _ in range(2)] == [200, 200]
    limited = client.get("/api/daily_papers")
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60
    assert client.get("/api/daily_papers", REMOTE_ADDR="10.1.2.3").status_code == 200
    if connection.vendor == "postgresql":
        # The API's reads count in PostgreSQL, with their copies' stamps: Redis is never asked.
        assert caches["default"].available
    else:
        assert not caches["default"].available  # Redis was asked, found away, and left alone for now


@pytest.mark.django_db
def test_counters_skip_the_write_ahead_log_on_postgresql():
    """On PostgreSQL without Redis every API read is counted in the database: the counters' table is
    UNLOGGED, so a count commits without waiting for the log to reach the disk (a crash only starts
    every window afresh)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite counts in the counter file, not in its database")
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'core_ratecounter'")
        assert cursor.fetchone() == ("u",)
