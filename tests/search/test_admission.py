"""Admission control for search (search/admission.py): past SEARCH_CONCURRENCY searches at once, a
search is shed with 503 + Retry-After (a page, or JSON on the API), never a 500 or a pile-up; a
ranking computed a moment ago is answered from the per-process cache without a slot.

Real HTTP requests at once against the live test server. The slow search is the test itself holding
the one slot, as a search in progress would, so which requests are shed does not depend on timing."""

from __future__ import annotations

import re
import threading

import httpx
import pytest
from django.test import override_settings

from dailypapers.search.admission import search_slot
from dailypapers.search.indexing import update_index
from tests.support.search_corpus import load_corpus


@pytest.fixture
def busy_site(transactional_db, live_server, settings):
    load_corpus(embed=False, limit=12)  # indexed as they arrive (committed at once here)
    update_index()
    settings.SEARCH_CONCURRENCY = 1
    settings.SEARCH_QUEUE_WAIT = 0.05
    return live_server.url


def _all_at_once(url: str, requests: list[tuple[str, dict]]) -> list[httpx.Response]:
    responses: list[httpx.Response | None] = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def one(i: int) -> None:
        path, params = requests[i]
        with httpx.Client(base_url=url, timeout=30) as client:
            start.wait()
            responses[i] = client.get(path, params=params)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return responses  # type: ignore[return-value]


def test_searches_past_the_limit_get_503_with_retry_after_and_a_cached_one_is_served(busy_site):
    cached = httpx.get(f"{busy_site}/papers/search", params={"q": "language models"}, timeout=30)
    assert cached.status_code == 200
    page = [("/papers/search", {"q": f"vision transformers {i}"}) for i in range(4)]
    api = [("/api/papers/search", {"q": f"speech recognition {i}"}) for i in range(4)]
    with search_slot():  # a slow search holds the only slot
        responses = _all_at_once(busy_site, page + api)
        again = httpx.get(f"{busy_site}/papers/search", params={"q": "language models"}, timeout=30)
    for response in responses:
        assert response.status_code == 503, response.text[:300]
        assert response.headers["Retry-After"] == "1"
    html = responses[0].text
    assert "<h1>Search is busy right now</h1>" in html and "try again" in html
    assert 'href="/papers/search?q=vision+transformers+0"' in html  # the same search, to retry by hand
    assert responses[-1].headers["Content-Type"].startswith("application/json")
    assert responses[-1].json()["code"] == "search_busy"
    # The repeated search needed no slot: its page was kept, with the index unchanged.
    assert again.status_code == 200 and "Search is busy" not in again.text

    # Slot free again: a burst of distinct searches is served or shed, never a 500.
    burst = _all_at_once(busy_site, [("/api/papers/search", {"q": f"graph networks {i}"}) for i in range(8)])
    assert {r.status_code for r in burst} <= {200, 503}
    assert any(r.status_code == 200 for r in burst)
    assert all(r.headers.get("Retry-After") == "1" for r in burst if r.status_code == 503)


def test_anonymous_result_pages_are_cached_with_each_visitors_token_and_follow_the_index(transactional_db):
    """A page rendered for one visitor is served to the next with the next one's CSRF token (their
    votes post without a CSRF failure), and a paper indexed since shows at once (the key holds the
    index manifest)."""
    from django.test import Client

    from dailypapers.papers.models import Paper
    from tests.support.factories import add_paper

    papers = load_corpus(embed=False, limit=6)
    update_index()
    q = {"q": papers[0].title}
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    assert first.get("/papers/search", q).status_code == 200
    with search_slot(), override_settings(SEARCH_CONCURRENCY=1, SEARCH_QUEUE_WAIT=0):
        page = second.get("/papers/search", q)  # no slot free: only the cache can answer
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    vote = second.post(f"/papers/{papers[0].arxiv_id}/upvote", {"csrfmiddlewaretoken": token})
    assert vote.status_code != 403  # the sign-in redirect, not a CSRF failure

    add_paper("2601.09999", title=papers[0].title + " revisited", abstract=papers[0].abstract)
    update_index([Paper.objects.get(arxiv_id="2601.09999").pk])
    assert "2601.09999" in second.get("/papers/search", q).content.decode()
