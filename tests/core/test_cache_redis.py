"""The site's cache on Redis (DAILYPAPERS_CACHE_URL) and sessions in it, and Redis going away:
pages and the API keep answering 200, a signed-in member stays signed in (the database holds the
sessions), and the outage is logged once, not once per request. Shared pages fetched from Redis are
kept a few seconds by each process, and still change with the content stamp."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from tests.support.factories import add_paper
from tests.support.redis_server import redis_server

PAGES = ["/", "/papers/2601.00101", "/api/daily_papers?limit=5", "/api/papers/2601.00101", "/feeds/daily.rss"]


@pytest.fixture
def redis_site(settings):
    with redis_server() as (url, process):
        settings.CACHES = {
            "default": {"BACKEND": "dailypapers.core.cache.TolerantRedisCache", "LOCATION": url}
        }
        settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
        yield process


@pytest.mark.django_db
def test_the_site_keeps_serving_when_redis_goes_away(redis_site, caplog):
    add_paper("2601.00101", "Quokkas in the wild", day=None)
    member = get_user_model().objects.create_user("ada", "ada@example.org", "a long passphrase")
    client = Client()
    client.force_login(member)
    session_key = client.cookies["sessionid"].value
    cache.set("probe", "here")
    assert cache.get("probe") == "here"  # Redis is the cache
    assert cache.get(f"django.contrib.sessions.cached_db{session_key}") is not None  # and holds the session
    for page in PAGES:
        assert client.get(page).status_code == 200, page

    redis_site.kill()
    redis_site.wait(timeout=10)
    with caplog.at_level(logging.ERROR, logger="dailypapers.cache"):
        for page in PAGES * 2:
            response = client.get(page)
            assert response.status_code == 200, page
            assert response.wsgi_request.user == member  # the session is read from the database
        assert cache.get("probe", "missed") == "missed"  # a miss, not an error
        cache.set("probe", "dropped")
        assert cache.add("other", 1) is False
        assert cache.get_many(["probe", "other"]) == {}
        with pytest.raises(ValueError):
            cache.incr("probe")
    outage = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(outage) == 1, [r.getMessage() for r in caplog.records]
    # Signing out still works: the session goes from the database.
    client.post("/accounts/logout")
    assert client.get("/").wsgi_request.user.is_anonymous


def redis_gets(monkeypatch) -> list[str]:
    """The keys the site asks Redis for from now on, in order."""
    from dailypapers.core.cache import TolerantRedisCache

    fetched: list[str] = []
    real_get = TolerantRedisCache.get
    monkeypatch.setattr(
        TolerantRedisCache,
        "get",
        lambda self, key, *a, **k: fetched.append(key) or real_get(self, key, *a, **k),
    )
    return fetched


@pytest.mark.django_db
def test_copies_from_redis_are_kept_in_the_process_and_change_with_the_stamps(
    redis_site, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from dailypapers.core import pagecache
    from dailypapers.papers.models import Paper

    settings.PAGE_CACHE_SECONDS = 60
    monkeypatch.setattr(pagecache, "_memory", pagecache._Memory(8 * 1024 * 1024))
    add_paper("2601.00101", "Quokkas in the wild", day=None)
    page = "/papers/2601.00101"  # served to anonymous readers before the view (SharedPageMiddleware)
    client = Client()
    assert client.get(page)["X-Cache"] == "miss"
    fetched = redis_gets(monkeypatch)
    hit = client.get(page)
    assert hit["X-Cache"] == "hit" and b"Quokkas in the wild" in hit.content
    assert fetched == []  # the copy came from this process's memory: no trip to Redis for it

    # Another process (or node) renews the copy after a change; this one still holds the old copy.
    kept = dict(pagecache._memory.entries)
    Paper.objects.filter(arxiv_id="2601.00101").update(title="Quokkas at night")
    with django_capture_on_commit_callbacks(execute=True):  # PostgreSQL moves stamps on commit
        Paper.objects.get(arxiv_id="2601.00101").save()  # the signal that moves its stamps
    pagecache._memory.entries.clear()
    assert client.get(page)["X-Cache"] == "miss"  # rendered "there", stored in Redis
    pagecache._memory.entries.update(kept)
    again = client.get(page)
    assert again["X-Cache"] == "hit" and b"Quokkas at night" in again.content  # Redis's copy, not a render
    assert client.get(page)["X-Cache"] == "hit"


@pytest.mark.django_db
def test_an_api_read_asks_redis_for_no_copy_once_this_process_has_it(redis_site, settings, monkeypatch):
    """An API copy is served through its gate (which counts the read in Redis) from this process's
    memory: Redis is asked for no copy."""
    from dailypapers.core import pagecache

    settings.PAGE_CACHE_SECONDS = 60
    monkeypatch.setattr(pagecache, "_memory", pagecache._Memory(8 * 1024 * 1024))
    add_paper("2601.00101", "Quokkas in the wild", day=None)
    client = Client()
    assert client.get("/api/papers/2601.00101")["X-Cache"] == "miss"
    fetched = redis_gets(monkeypatch)
    for _ in range(3):
        response = client.get("/api/papers/2601.00101")
        assert response["X-Cache"] == "hit" and response.json()["title"] == "Quokkas in the wild"
        assert not hasattr(response.wsgi_request, "user")  # served before the view
    assert fetched == []


@pytest.mark.django_db
def test_a_copy_kept_in_the_process_expires_as_the_caches_does(redis_site, settings, monkeypatch):
    """What moves with the clock alone (trending scores) is renewed after PAGE_CACHE_SECONDS, from
    this process's memory as from Redis."""
    from dailypapers.core import pagecache

    settings.PAGE_CACHE_SECONDS = 60
    monkeypatch.setattr(pagecache, "_memory", pagecache._Memory(8 * 1024 * 1024))
    add_paper("2601.00101", "Quokkas in the wild", day=None)
    client = Client()
    assert client.get("/papers/2601.00101")["X-Cache"] == "miss"
    assert client.get("/papers/2601.00101")["X-Cache"] == "hit"
    now = pagecache.time.time()
    monkeypatch.setattr(pagecache.time, "time", lambda: now + 61)
    cache.clear()  # Redis let its copy go at 60 s
    assert client.get("/papers/2601.00101")["X-Cache"] == "miss"
