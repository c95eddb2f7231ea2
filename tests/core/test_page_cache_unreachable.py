"""A page cache that cannot be reached (a Redis that is down) costs renders, never an error page."""

from __future__ import annotations

import pytest

from tests.support.served import free_port


@pytest.mark.django_db
def test_pages_are_served_while_the_cache_is_unreachable(client, settings, caplog):
    from tests.support.factories import listed_paper

    listed_paper("2606.00001", "Served without a cache")
    settings.PAGE_CACHE_SECONDS = 60
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/5",  # nothing listens there
        }
    }
    for path in ("/", "/papers/2606.00001", "/api/papers/2606.00001", "/feeds/daily.rss"):
        response = client.get(path, HTTP_HOST="127.0.0.1")
        assert response.status_code == 200, path
        assert b"Served without a cache" in response.content
    assert "page cache unreachable" in caplog.text
