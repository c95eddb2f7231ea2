"""The API's shared copies, served before the view (core.pagecache's SharedPageMiddleware) through the
API's read gate: every read still counts against the client's allowance, exactly once, and the answer
is the one the view gives (rate headers, CORS, 429 with Retry-After)."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from django.core.cache import cache
from django.test import Client

from dailypapers.api import plumbing
from dailypapers.core import pagecache
from tests.support.factories import add_paper
from tests.support.redis_server import redis_server

ADDRESSES = ["/api/daily_papers?limit=5", "/api/papers/2608.00001", "/api/papers/2608.00001/comments"]
# What the endpoint's own answer carries, and a copy served before it must carry too.
SAME_HEADERS = [
    "Content-Type",
    "Access-Control-Allow-Origin",
    "Access-Control-Expose-Headers",
    "X-RateLimit-Limit",
    "X-Frame-Options",
    "Cache-Control",
    "ETag",
]


@pytest.fixture
def site(db, settings):
    settings.PAGE_CACHE_SECONDS = 60
    settings.API_READ_RATE = "1000/m"
    cache.clear()
    add_paper("2608.00001", "Attention for Robots", day=dt.date(2026, 8, 18))
    yield
    cache.clear()


def test_a_copy_is_served_before_the_view_with_the_views_own_headers(site):
    client = Client()
    for address in ADDRESSES:
        rendered = client.get(address)
        served = client.get(address)
        assert (rendered["X-Cache"], served["X-Cache"]) == ("miss", "hit"), address
        # Sessions and authentication never ran: the copy was answered before them.
        assert not hasattr(served.wsgi_request, "user")
        assert served.content == rendered.content
        for header in SAME_HEADERS:
            assert served[header] == rendered[header], (address, header)
        assert int(served["X-RateLimit-Remaining"]) == int(rendered["X-RateLimit-Remaining"]) - 1


def test_each_read_counts_once_whichever_way_it_is_served(site, settings):
    settings.API_READ_RATE = "4/m"
    client = Client()
    answers = [client.get("/api/papers/2608.00001") for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert [a.get("X-Cache") for a in answers[:4]] == ["miss", "hit", "hit", "hit"]
    assert [a["X-RateLimit-Remaining"] for a in answers[:4]] == ["3", "2", "1", "0"]
    refused = answers[4]
    assert 1 <= int(refused["Retry-After"]) <= 60 and refused["Access-Control-Allow-Origin"] == "*"
    assert "Too many requests" in refused.json()["error"]
    assert not hasattr(refused.wsgi_request, "user")  # refused by the gate, before the view
    # Another client has its own allowance, and gets the copy.
    other = client.get("/api/papers/2608.00001", REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200 and other["X-Cache"] == "hit"


def test_a_conditional_read_still_counts(site, settings):
    settings.API_READ_RATE = "2/m"
    client = Client()
    etag = client.get("/api/daily_papers")["ETag"]
    not_modified = client.get("/api/daily_papers", HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and not_modified["X-RateLimit-Remaining"] == "0"
    assert client.get("/api/daily_papers", HTTP_IF_NONE_MATCH=etag).status_code == 429


def test_a_stale_copy_renewed_by_this_read_counts_it_once(site, settings, django_capture_on_commit_callbacks):
    settings.API_READ_RATE = "3/m"
    client = Client()
    assert client.get("/api/papers/2608.00001")["X-Cache"] == "miss"
    with django_capture_on_commit_callbacks(execute=True):  # PostgreSQL moves stamps on commit
        pagecache.bump()
    renewed = client.get("/api/papers/2608.00001")  # the middleware claims it; the view renders it
    assert renewed["X-Cache"] == "miss" and renewed["X-RateLimit-Remaining"] == "1"
    assert client.get("/api/papers/2608.00001")["X-RateLimit-Remaining"] == "0"


def test_a_gate_this_process_lacks_leaves_the_read_to_the_view(site, settings, monkeypatch):
    settings.API_READ_RATE = "3/m"
    client = Client()
    client.get("/api/papers/2608.00001")
    monkeypatch.delitem(pagecache._gates, plumbing.READ_GATE)
    served = client.get("/api/papers/2608.00001")
    assert served["X-Cache"] == "hit" and hasattr(served.wsgi_request, "user")  # the view's path
    assert served["X-RateLimit-Remaining"] == "1"  # counted once there, not also before it


def test_a_hit_is_served_from_the_process_memory_not_unpickled_from_the_cache(
    site, monkeypatch, django_capture_on_commit_callbacks
):
    """Django's local-memory cache keeps values pickled: each hit read from it would copy the whole
    answer (346 kB for the API's feed). The process keeps the copy it served as an object."""
    from django.core.cache.backends.locmem import LocMemCache

    client = Client()
    assert client.get("/api/papers/2608.00001")["X-Cache"] == "miss"
    asked: list[str] = []
    real_get = LocMemCache.get
    monkeypatch.setattr(
        LocMemCache, "get", lambda self, key, *a, **k: asked.append(key) or real_get(self, key, *a, **k)
    )
    hit = client.get("/api/papers/2608.00001")
    assert hit["X-Cache"] == "hit" and b"Attention for Robots" in hit.content
    assert asked == []
    with django_capture_on_commit_callbacks(execute=True):  # on PostgreSQL stamps move on commit
        add_paper("2608.00002", "Another paper", day=dt.date(2026, 8, 18))
    assert client.get("/api/papers/2608.00001")["X-Cache"] == "miss"  # the kept copy stands no more


def test_a_copy_stored_by_an_older_version_is_a_miss(site):
    client = Client()
    client.get("/api/papers/2608.00001")
    key = pagecache._key(client.get("/api/papers/2608.00001").wsgi_request, 0, shortcut=True)
    stamps, stored, made = cache.get(key)
    cache.set(key, (stamps, stored[:5], made))  # laid out as before gates
    pagecache._memory.delete(key)  # as a process that has not served it finds it
    assert client.get("/api/papers/2608.00001")["X-Cache"] == "miss"


@pytest.fixture(params=["database", "redis"])
def cache_kind(request, settings):
    """The site's cache in each process's memory, or in Redis (DAILYPAPERS_CACHE_URL)."""
    if request.param == "database":
        yield request.param
        return
    with redis_server() as (url, _):
        settings.CACHES = {
            "default": {"BACKEND": "dailypapers.core.cache.TolerantRedisCache", "LOCATION": url}
        }
        yield request.param


def test_on_postgresql_a_read_is_counted_in_the_statement_that_reads_its_stamps(
    site, cache_kind, settings, monkeypatch
):
    """On PostgreSQL the API's reads count in the database, with Redis or without: a copy's read is
    counted in the same statement as its stamps' read (one round trip), never a second time by
    itself, nor in Redis (a second round trip)."""
    from django.db import connection

    from dailypapers.core import limits

    if connection.vendor != "postgresql":
        pytest.skip("SQLite counts in the counter file, beside the database")
    monkeypatch.setattr(limits.RedisStore, "hit", lambda *a, **k: pytest.fail("counted in Redis"))
    settings.API_READ_RATE = "3/m"
    client = Client()
    assert client.get("/api/papers/2608.00001")["X-RateLimit-Remaining"] == "2"  # the view counted it

    def counted_alone(*args, **kwargs):
        raise AssertionError("counted in a statement of its own")

    monkeypatch.setattr(limits.DatabaseStore, "hit", counted_alone)
    answers = [client.get("/api/papers/2608.00001") for _ in range(3)]
    assert [(a.status_code, a["X-RateLimit-Remaining"]) for a in answers] == [
        (200, "1"),
        (200, "0"),
        (429, "0"),
    ]
    assert answers[0]["X-Cache"] == "hit" and not hasattr(answers[0].wsgi_request, "user")


@pytest.mark.parametrize("address", ["/api/daily_papers?limit=5", "/feeds/daily.rss"])
def test_shared_answers_go_compressed_to_clients_that_accept_gzip(site, address):
    """An answer the same for everyone (the API's, a feed) is kept compressed too, made once: a
    client that accepts gzip gets that, a representation with its own ETag; any other gets it whole.
    Either way the answer says that it varies by Accept-Encoding."""
    for n in range(2, 8):
        add_paper(f"2608.0000{n}", f"Attention for Robots, part {n}", day=dt.date(2026, 8, 18))
    client = Client()
    whole = client.get(address)
    assert whole["X-Cache"] == "miss" and "Content-Encoding" not in whole
    assert "Accept-Encoding" in whole["Vary"]
    for state in ("hit", "hit"):
        packed = client.get(address, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        assert (packed.status_code, packed["X-Cache"], packed["Content-Encoding"]) == (200, state, "gzip")
        assert gzip.decompress(packed.content) == whole.content
        assert len(packed.content) < len(whole.content) / 3
        assert packed["ETag"] != whole["ETag"] and "Accept-Encoding" in packed["Vary"]
        assert packed["Content-Type"] == whole["Content-Type"]
    # Each representation answers its own tag with a 304.
    same = client.get(address, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"])
    assert same.status_code == 304 and same["ETag"] == packed["ETag"]
    assert client.get(address, HTTP_IF_NONE_MATCH=whole["ETag"]).status_code == 304
    # A weight of 0 refuses gzip, even beside `*`; `*` alone accepts it.
    for header, encoded in [("gzip;q=0, *", False), ("identity", False), ("*;q=0.5", True), ("x-gzip", True)]:
        answer = client.get(address, HTTP_ACCEPT_ENCODING=header)
        assert ("Content-Encoding" in answer) is encoded, header
        assert answer.content == (packed.content if encoded else whole.content), header


def test_pages_shown_to_a_reader_are_never_compressed(site):
    """A page holds its reader's CSRF token: compressed beside text the reader chooses (a search
    query), its length would give the token away (BREACH). Pages go out whole."""
    page = Client().get("/papers/2608.00001", HTTP_ACCEPT_ENCODING="gzip")
    assert page.status_code == 200 and "Content-Encoding" not in page
    assert b"csrfmiddlewaretoken" in page.content or b"csrf" in page.content.lower()


@pytest.mark.django_db
def test_an_aged_copy_answers_stale_while_its_successor_renders(settings, monkeypatch):
    """Past PAGE_CACHE_SECONDS a copy is renewed by the first request, and the requests that come
    while it renders get the aged copy, marked stale, at once: none waits for that render (they all
    did, when the copy expired from memory and cache at the same moment)."""
    from dailypapers.core import pagecache

    settings.PAGE_CACHE_SECONDS = 60
    add_paper("2601.00101", "Quokkas in the wild", day=None)
    client = Client()
    assert client.get("/api/papers/2601.00101")["X-Cache"] == "miss"
    hit = client.get("/api/papers/2601.00101")
    assert hit["X-Cache"] == "hit"
    key = pagecache._key(hit.wsgi_request, 0, shortcut=True)
    now = pagecache.time.time()
    monkeypatch.setattr(pagecache.time, "time", lambda: now + 61)
    assert pagecache._claim(key)  # another request is rendering its successor
    waited = pagecache.time.monotonic()
    aged = client.get("/api/papers/2601.00101")
    assert aged["X-Cache"] == "stale" and b"Quokkas in the wild" in aged.content
    assert pagecache.time.monotonic() - waited < pagecache.RENDER_CLAIM_SECONDS / 2
    pagecache._release(key)
    assert client.get("/api/papers/2601.00101")["X-Cache"] == "miss"  # the renewal
    assert client.get("/api/papers/2601.00101")["X-Cache"] == "hit"
    # Past twice the limit a copy is gone: nothing that old stands in for the page.
    monkeypatch.setattr(pagecache.time, "time", lambda: now + 61 + 121)
    assert pagecache._memory.get(key) is None
