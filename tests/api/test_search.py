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


@pytest.mark.parametrize(
    "params, message",
    [
        ({"q": "x" * 1001}, "q is 1,001 characters long; a search reads at most 1,000."),
        ({"q": "x", "offset": "1001"}, "offset must be between 0 and 1000."),
        ({"q": "x", "limit": "121"}, "limit must be between 1 and 120."),
        ({"limit": "0"}, "limit must be between 1 and 120."),
        ({"has_code": "maybe"}, "has_code must be true or false"),
    ],
)
def test_bad_searches_are_400(client, corpus, params, message):
    response = client.get("/api/papers/search", params)
    assert response.status_code == 400 and message in response.json()["error"]


def newest_first(papers) -> list[str]:
    ordered = sorted(papers, key=lambda p: (p.published_at, p.id), reverse=True)
    return [p.arxiv_id for p in ordered]


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}])
def test_without_a_query_the_latest_papers_come_first(client, corpus, params):
    # What `HfApi().list_papers()` asks (no q): Hugging Face answers with its latest papers.
    response = client.get("/api/papers/search", params)
    assert response.status_code == 200
    expected = newest_first(corpus.values())
    assert [r["paper"]["id"] for r in response.json()] == expected[:50]  # API_DEFAULT_LIMIT
    assert response["X-Total-Count"] == str(len(corpus)) and "Link" not in response  # 36 papers
    assert all("score" not in r for r in response.json())  # a listing ranks nothing


def test_the_latest_papers_page_and_filter_like_a_search(client, corpus):
    expected = newest_first(corpus.values())
    first = client.get("/api/papers/search", {"limit": 5})
    assert [r["paper"]["id"] for r in first.json()] == expected[:5]
    assert first["X-Total-Count"] == str(len(expected))
    assert first["Link"] == '<http://testserver/api/papers/search?limit=5&offset=5>; rel="next"'
    last = client.get("/api/papers/search", {"limit": 5, "offset": 35})
    assert [r["paper"]["id"] for r in last.json()] == expected[35:] and "Link" not in last

    hidden = corpus[expected[0]]
    Paper.objects.filter(pk=hidden.pk).update(hidden=True)
    assert hidden.arxiv_id not in [r["paper"]["id"] for r in client.get("/api/papers/search").json()]

    in_cv = client.get("/api/papers/search", {"category": "cs.CV"})
    cv = [
        p for p in corpus.values() if not p.hidden and p.pk != hidden.pk and p.categories.filter(code="cs.CV")
    ]
    assert [r["paper"]["id"] for r in in_cv.json()] == newest_first(cv) and cv
    assert in_cv["X-Total-Count"] == str(len(cv))
    with_code = client.get("/api/papers/search", {"has_code": "true"}).json()
    assert with_code and all(r["paper"]["githubRepo"] for r in with_code)
    day = min(p.published_at for p in corpus.values()).date()
    early = client.get("/api/papers/search", {"until": day.isoformat()}).json()
    assert early and all(r["paper"]["publishedAt"][:10] == day.isoformat() for r in early)


def test_a_search_page_holds_up_to_120(client, corpus):
    # Hugging Face's search allows up to 120 results a page (settings.API_SEARCH_MAX_LIMIT).
    listed = client.get("/api/papers/search", {"limit": 120})
    assert listed.status_code == 200 and len(listed.json()) == len(corpus)
    found = client.get("/api/papers/search", {"q": "language models", "limit": 120})
    assert found.status_code == 200 and 3 < len(found.json()) <= 120


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
