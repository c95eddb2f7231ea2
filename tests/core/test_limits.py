"""Per-client limits (core.limits): the rate syntax, counting, windows, reset, and exact counts when
many threads or processes hit one key at once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest
from django.db import connections

from dailypapers.core import limits
from dailypapers.core.env import Rate, parse_rate
from dailypapers.core.limits import Limit
from dailypapers.core.models import RateCounter


@pytest.fixture
def clock(monkeypatch):
    """A clock the test moves by hand: clock.now += 60."""

    class Clock:
        now = 1_000_000.0

    monkeypatch.setattr(limits, "clock", lambda: Clock.now)
    return Clock


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


@pytest.mark.django_db
def test_hits_count_until_the_limit(clock):
    limit = Limit("t", "3/m")
    usages = [limit.hit("ada") for _ in range(5)]
    assert [u.allowed for u in usages] == [True, True, True, False, False]
    assert [u.remaining for u in usages] == [2, 1, 0, 0, 0]
    assert {u.limit for u in usages} == {3} and {u.retry_after for u in usages} == {60}
    clock.now += 59.5
    assert limit.hit("ada").retry_after == 1  # rounded up: never "retry in 0 s"
    # Refused events count too (a client hammering stays refused), and the row names no one.
    (row,) = RateCounter.objects.all()
    assert row.count == 6 and "ada" not in row.key and row.key.startswith("t:")


@pytest.mark.django_db
def test_keys_and_limits_count_apart(clock):
    first, second = Limit("first", "1/m"), Limit("second", "1/m")
    assert first.hit("ada").allowed and not first.hit("ADA").allowed  # keys ignore case
    assert first.hit("bob").allowed and second.hit("ada").allowed
    # An empty key (a blank account name) is never counted nor blocked.
    assert all(first.hit("").allowed for _ in range(3)) and not first.blocked("")


@pytest.mark.django_db
def test_a_window_ends_and_a_new_one_starts(clock):
    limit = Limit("t", "2/15m")
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


@pytest.mark.django_db
def test_blocked_counts_nothing_and_reset_forgets(clock):
    limit = Limit("t", "2/h")
    assert not limit.blocked("ada") and not limit.blocked("ada")
    limit.hit("ada")
    assert not limit.blocked("ada")
    limit.hit("ada")
    assert limit.blocked("ada") and not limit.blocked("bob")
    limit.reset("ada")
    assert not limit.blocked("ada") and limit.hit("ada").remaining == 1


@pytest.mark.django_db
def test_retry_after_is_never_more_than_a_window(clock):
    # Two server processes read the clock; the later reading starts the window first.
    limit = Limit("t", "1/15m")
    clock.now += 0.5
    limit.hit("ada")
    clock.now -= 0.5
    assert limit.hit("ada").retry_after == 900  # not 901


@pytest.mark.django_db
def test_give_back_returns_one_event_of_the_running_window(clock):
    limit = Limit("t", "2/h")
    limit.hit("ada")
    limit.hit("ada")
    assert limit.blocked("ada")
    limit.give_back("ADA")
    assert not limit.blocked("ada") and limit.hit("ada").remaining == 0
    limit.give_back("bob")  # nothing counted: nothing to give back, and no row made
    assert not RateCounter.objects.filter(count__lt=0).exists() and RateCounter.objects.count() == 1
    clock.now += 3600
    limit.give_back("ada")  # an ended window is left as it is, swept later
    assert RateCounter.objects.get().count == 2


@pytest.mark.django_db
def test_an_empty_rate_is_no_limit():
    limit = Limit("t", "")
    assert not limit.enabled
    assert all(limit.hit("ada").allowed for _ in range(10)) and not limit.blocked("ada")
    assert not RateCounter.objects.exists()


@pytest.mark.django_db
def test_ended_windows_are_swept_when_a_window_starts(clock):
    short, long = Limit("short", "1/m"), Limit("long", "1/d")
    for key in ("a", "b", "c"):
        short.hit(key)
    long.hit("a")
    clock.now += 60
    short.hit("a")  # the row for "a" starts again; "b" and "c" have ended and go
    assert RateCounter.objects.count() == 2
    assert sorted(RateCounter.objects.values_list("count", flat=True)) == [1, 1]


# --- exact under concurrency: every hit is one atomic statement --------------------------------

HITS, LIMIT = 12, 20


def _hit_many(start_at: float) -> list[bool]:
    """HITS events on one key, starting together with the other workers."""
    time.sleep(max(0.0, start_at - time.time()))
    try:
        return [Limit("race", f"{LIMIT}/h").hit("203.0.113.9").allowed for _ in range(HITS)]
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_threads_get_exactly_the_limit():
    start_at = time.time() + 0.3
    results: list[list[bool]] = []
    workers = [threading.Thread(target=lambda: results.append(_hit_many(start_at))) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    allowed = [a for result in results for a in result]
    assert len(allowed) == 6 * HITS and allowed.count(True) == LIMIT
    assert RateCounter.objects.get().count == 6 * HITS


@pytest.mark.django_db(transaction=True)
def test_processes_get_exactly_the_limit():
    connections.close_all()  # each forked worker opens its own connection
    start_at = time.time() + 1.0
    with multiprocessing.get_context("fork").Pool(4) as pool:
        results = pool.map(_hit_many, [start_at] * 4)
    allowed = [a for result in results for a in result]
    assert len(allowed) == 4 * HITS and allowed.count(True) == LIMIT
    assert RateCounter.objects.get().count == 4 * HITS


@pytest.mark.django_db
def test_counters_skip_the_write_ahead_log_on_postgresql():
    """Every API read is counted: on PostgreSQL the counters' table is UNLOGGED, so a count commits
    without waiting for the log to reach the disk (a crash only starts every window afresh)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no unlogged tables; its counts commit in WAL mode without a sync")
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'core_ratecounter'")
        assert cursor.fetchone() == ("u",)
