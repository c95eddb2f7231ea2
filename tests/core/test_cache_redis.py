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
