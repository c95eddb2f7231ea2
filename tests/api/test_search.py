"""Search through the API and the search feed: the search app's hybrid engine on real demo papers."""

from __future__ import annotations

import feedparser
import pytest

from dailypapers.papers.models import Paper
from dailypapers.search.indexing import update_index
from tests.support.search_corpus import load_corpus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.API_READ_RATE, settings.API_WRITE_RATE = "", ""


@pytest.fixture
def corpus() -> dict[str, Paper]:
    papers = load_corpus()
    update_index()
    return {p.arxiv_id: p for p in papers}


def test_search_finds_a_paper_by_its_title_with_hugging_face_fields(client, corpus):
    paper = next(iter(corpus.values()))
    response = client.get("/api/papers/search", {"q": paper.title, "limit": 5})
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    results = response.json()
    assert results[0]["paper"]["id"] == paper.arxiv_id
    assert results[0]["title"] == paper.title and results[0]["summary"] == paper.abstract
    assert results[0]["paper"]["authors"] and results[0]["score"] > 0
    assert len(results) <= 5 and int(response["X-Total-Count"]) >= len(results)


def test_search_filters_and_pages(client, corpus):
    some = client.get("/api/papers/search", {"q": "language models", "limit": 3})
    assert len(some.json()) == 3 and some["Link"].endswith('offset=3>; rel="next"')
    following = client.get("/api/papers/search", {"q": "language models", "limit": 3, "offset": 3})
    assert not {r["paper"]["id"] for r in some.json()} & {r["paper"]["id"] for r in following.json()}
    in_cv = client.get("/api/papers/search", {"q": "language models", "category": "cs.CV"}).json()
    assert in_cv and all("cs.CV" in r["paper"]["categories"] for r in in_cv)
    with_code = client.get("/api/papers/search", {"q": "language models", "has_code": "true"}).json()
    assert with_code and all(r["paper"]["githubRepo"] for r in with_code)


def test_hidden_papers_never_come_back(client, corpus):
    paper = next(iter(corpus.values()))
    Paper.objects.filter(pk=paper.pk).update(hidden=True)
    found = client.get("/api/papers/search", {"q": paper.title}).json()
    assert paper.arxiv_id not in [r["paper"]["id"] for r in found]


@pytest.mark.parametrize("params", [{}, {"q": "   "}, {"q": "x" * 1001}, {"q": "x", "offset": "1001"}])
def test_bad_searches_are_400(client, corpus, params):
    response = client.get("/api/papers/search", params)
    assert response.status_code == 400 and response.json()["error"]


def test_similar_papers(client, corpus):
    paper = next(iter(corpus.values()))
    similar = client.get(f"/api/papers/{paper.arxiv_id}/similar", {"limit": 4}).json()
    assert 1 <= len(similar) <= 4
    assert paper.arxiv_id not in [p["id"] for p in similar]
    assert all(p["id"] in corpus for p in similar)
    assert client.get("/api/papers/2608.99999/similar").status_code == 404


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_search_feed(client, corpus, fmt):
    paper = next(iter(corpus.values()))
    response = client.get(f"/feeds/search.{fmt}", {"q": paper.title})
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.entries[0].link == f"http://testserver/papers/{paper.arxiv_id}"
    assert feed.feed.link.startswith("http://testserver/papers/search?q=")
    assert client.get(f"/feeds/search.{fmt}").status_code == 404  # no query


def test_the_search_page_links_its_feed(client, corpus):
    html = client.get("/papers/search", {"q": "diffusion"}).content.decode()
    assert 'href="/feeds/search.rss?q=diffusion"' in html
