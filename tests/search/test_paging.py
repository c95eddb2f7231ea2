"""Paging through search results: a query is ranked once, to a fixed depth, and its pages are slices of
that ranking. Walking every page over the whole demo catalogue (real papers, real embeddings) meets
each paper once, and every page gives the same total and page count: the total is the papers seen.

(Before, each page ranked the query again as deep as that page needed: the fused ranking moved
between pages, "agents" repeated papers and its total moved, and a long query counted papers found by
both sides twice: "482 results" over 440 papers, then "page 23 of 22".)
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from dailypapers.search.indexing import update_index
from dailypapers.search.query import search_papers
from tests.support.search_corpus import load_corpus, records

pytestmark = pytest.mark.django_db

PER_PAGE = 20


def long_query() -> str:
    """500 characters pasted from an abstract, as a reader may paste them."""
    return " ".join(records(None)[10].abstract.split())[:500]


QUERIES = [long_query(), "agents", "model"]  # a long paste, a topic, a common word


@pytest.fixture
def demo():
    """The whole demo catalogue, embedded and indexed."""
    papers = load_corpus(limit=None)
    update_index()
    return papers


def test_every_page_of_a_query_holds_each_paper_once(demo):
    for query in QUERIES:
        seen, counts, offset = [], set(), 0
        while True:
            page = search_papers(query, limit=PER_PAGE, offset=offset)
            counts.add((page.total, page.ranked, page.total_exact))
            if not page.hits:
                break
            seen += [hit.paper.arxiv_id for hit in page.hits]
            offset += PER_PAGE
        assert len(seen) == len(set(seen)), f"{query[:30]!r} repeats papers"
        assert counts == {(len(seen), len(seen), True)}, query[:30]
        assert len(seen) <= len(demo)


def _walk_the_pages(client, query: str) -> tuple[list[str], set[str]]:
    """(arXiv ids in the order shown, the result counts shown) over every page, by "Next page"."""
    seen, counts = [], set()
    url = "/papers/search?" + urlencode({"q": query})
    while url:
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        counts.add(re.search(r'data-testid="result-count">([^<]*)<', html).group(1))
        seen += re.findall(r'<h2 class="card-title" id="t-\d+"><a href="/papers/([^"]+)">', html)
        found = re.search(r'<a class="button" rel="next" href="([^"]+)"', html)
        url = "/papers/search" + found.group(1).replace("&amp;", "&") if found else ""
    return seen, counts


def test_the_search_page_walks_every_page_once_and_ends(client, demo):
    for query in QUERIES:
        seen, counts = _walk_the_pages(client, query)
        pages = -(-len(seen) // PER_PAGE)
        assert len(seen) == len(set(seen)), f"{query[:30]!r} repeats papers"
        total = f"{len(seen):,} result{'s' if len(seen) != 1 else ''}"
        expected = {f"{total} · page {n} of {pages}" for n in range(1, pages + 1)} if pages > 1 else {total}
        assert counts == expected

    past = client.get("/papers/search", {"q": query, "page": pages + 1})
    html = past.content.decode()
    assert past.status_code == 404
    assert f"This search has no page {pages + 1}: its results end on page {pages}." in html
    assert f"page {pages + 1} of" not in html and 'rel="prev"' in html


def test_the_api_pages_through_one_ranking(client, settings, demo):
    settings.API_READ_RATE = ""
    for query in QUERIES:
        seen, totals = [], set()
        url = "/api/papers/search?" + urlencode({"q": query, "limit": 25})
        while url:
            response = client.get(url)
            assert response.status_code == 200
            seen += [item["paper"]["id"] for item in response.json()]
            totals.add(int(response["X-Total-Count"]))
            link = re.match(r"<http://testserver([^>]+)>", response.get("Link", ""))
            url = link.group(1) if link else ""
        assert len(seen) == len(set(seen)), f"{query[:30]!r} repeats papers"
        assert totals == {len(seen)}
    past = client.get("/api/papers/search", {"q": query, "offset": len(seen) + 25})
    assert past.status_code == 200 and past.json() == [] and int(past["X-Total-Count"]) == len(seen)
