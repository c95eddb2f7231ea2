"""Match counts: exact while counting is cheap, a lower bound ("at least N") when it is not.

Counting every match of a common word reads its whole posting list, so above
lexical.COUNT_BUDGET postings the engine asks tantivy for the top hits only. The page and the API
must still page through every result.
"""

from __future__ import annotations

import re

import pytest

from dailypapers.search import instance, lexical, query
from dailypapers.search.indexing import update_index
from dailypapers.search.lexical import Doc, Filters, LexicalIndex
from tests.support.factories import add_paper

N = 130


def _index(tmp_path, n: int = 300) -> LexicalIndex:
    docs = [
        Doc(
            i,
            f"Paper {i} on {'graph' if i % 3 == 0 else 'vision'} transformers",
            "We study attention." if i % 2 == 0 else "We study convolution.",
            [f"Author {i}"],
            ["cs.LG" if i % 5 == 0 else "cs.CV"],
            day=20_000 + i,
        )
        for i in range(1, n + 1)
    ]
    index = LexicalIndex.create(tmp_path / "lexical")
    index.write(docs)
    return index


def test_cheap_counts_are_exact_and_costly_ones_a_lower_bound(tmp_path, monkeypatch):
    index = _index(tmp_path)
    counted = index.search("graph attention", 10)
    # graph: every third paper, attention: every second; either word matches.
    assert counted.exact and counted.total == len({*range(3, 301, 3), *range(2, 301, 2)})
    assert len(counted.hits) == 10

    monkeypatch.setattr(lexical, "COUNT_BUDGET", 0)
    bound = index.search("graph attention", 10)
    assert not bound.exact
    assert bound.hits == counted.hits  # the same top hits, only the count differs
    # At least every paper that holds the commonest word (attention: 150).
    assert 150 <= bound.total <= counted.total

    # Asking for more than there are gives every match, so the total is exact again.
    everything = index.search("graph attention", 1000)
    assert everything.exact and everything.total == counted.total == len(everything.hits)

    # With filters the bound is what was found (the word counts ignore filters).
    filters = Filters(categories=["cs.LG"])
    filtered = index.search("graph attention", 5, filters)
    assert not filtered.exact and filtered.total == len(filtered.hits) == 5
    assert index.search("graph attention", 1000, filters).total == len(
        {i for i in range(1, 301) if i % 5 == 0 and (i % 3 == 0 or i % 2 == 0)}
    )


@pytest.mark.django_db
def test_the_page_says_at_least_and_pages_through_the_ranking(client, settings, tmp_path, monkeypatch):
    settings.SEARCH_DIR = tmp_path / "search"
    settings.SEARCH_SEMANTIC = False  # keyword search alone: no model needed for this
    instance.reset()
    try:
        # More matches than the ranking holds (100 here), and counting them all is too costly.
        for i in range(1, N + 1):
            add_paper(f"2601.{i:05d}", f"Sparse transformers study number {i}", abstract="Sparse attention.")
        update_index()
        monkeypatch.setattr(lexical, "COUNT_BUDGET", 0)
        monkeypatch.setattr(query, "RANK_DEPTH", 100)

        seen: list[str] = []
        url = "/papers/search?q=sparse+transformers"
        pages = []
        while url:
            html = client.get(url).content.decode()
            pages.append(re.search(r'data-testid="result-count">([^<]*)<', html).group(1))
            seen += re.findall(r'<h2 class="card-title" id="t-\d+"><a href="/papers/([^"]+)">', html)
            found = re.search(r'<a class="button" rel="next" href="([^"]+)"', html)
            url = "/papers/search" + found.group(1).replace("&amp;", "&") if found else ""
        # Every page says the same: at least 130 match, and the pages hold the best 100, each once.
        assert pages == [f"At least 130 results, the best 100 listed · page {n} of 5" for n in range(1, 6)]
        assert len(seen) == len(set(seen)) == 100

        # The API pages the same way: X-Total-Count is the lower bound on every page.
        settings.API_READ_RATE, settings.API_WRITE_RATE = "", ""
        first = client.get("/api/papers/search", {"q": "sparse transformers", "limit": 20})
        assert len(first.json()) == 20 and int(first["X-Total-Count"]) == N
        assert first["Link"].endswith('offset=20>; rel="next"')
        last = client.get("/api/papers/search", {"q": "sparse transformers", "limit": 20, "offset": 80})
        assert len(last.json()) == 20 and "Link" not in last and int(last["X-Total-Count"]) == N
    finally:
        instance.reset()


@pytest.mark.parametrize(
    "query",
    [
        "graph attention",  # terms and a title phrase
        "vision transformers paper",  # a phrase found in every title
        "grph atention",  # typos: the fuzzy clauses find what the terms do not
        "Author 17",  # an author's name as a phrase
        "convolution",  # one word: terms only
    ],
)
def test_two_part_scoring_equals_the_one_boolean_query(tmp_path, query):
    index = _index(tmp_path)
    for limit in (5, 40, 1000):
        found = index.search(query, limit)
        one = index.searcher.search(index.build_query(query), limit, count=True)
        ids = index.searcher.fast_field_values("id", [a for _, a in one.hits])
        expected = {int(i): float(score) for (score, _), i in zip(one.hits, ids, strict=True)}
        got = dict(found.hits)
        assert len(got) == len(expected)
        # Same scores; the same documents except among ties at the cut-off.
        cutoff = min(expected.values())
        assert {i for i, s in expected.items() if s > cutoff + 1e-4} <= set(got)
        for i, s in got.items():
            if i in expected:
                assert s == pytest.approx(expected[i], rel=1e-5)
        if found.exact:
            assert found.total == one.count
