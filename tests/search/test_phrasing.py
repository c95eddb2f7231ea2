"""Natural-language queries: words that only phrase the request ("papers that ...", "show me",
"work on") do not pull results, on the keyword side or the semantic side.

The corpus is realistic: the 129 papers of a real Daily Papers search for "retraining"
(../shared/data/seed-search-retraining.json), among demo papers, with the demo's "Would You Walk to
the Car Wash?", whose abstract says "avoiding" and "without any retraining" (before, it ranked high
for "papers that avoid retraining", followed by papers that matched "paper").
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dailypapers.papers.models import Paper
from dailypapers.search.indexing import update_index
from dailypapers.search.phrasing import topic_of
from dailypapers.search.query import search_papers
from dailypapers.sources import hf_daily
from dailypapers.sources.ingest import upsert
from dailypapers.sources.records import PaperRecord
from tests.support.search_corpus import records, store_embeddings
from tests.support.shared import HF_DIR, SHARED, need

SEED = SHARED / "data" / "seed-search-retraining.json"
CAR_WASH_DAY = HF_DIR / "2026-08-03.json"
CAR_WASH = "Would You Walk to the Car Wash?"
# Ranking is the search index's; the database only holds the papers (embedding them is most of the time).
pytestmark = pytest.mark.one_pass("postgresql")


@pytest.mark.parametrize(
    "query, topic",
    [
        ("papers that avoid retraining", "avoid retraining"),
        ("Show me papers about LLM agents", "LLM agents"),
        ("find recent work on diffusion models", "recent diffusion models"),
        ("I'm looking for articles on on-device LLMs", "on-device LLMs"),
        ("retraining papers", "retraining"),
        ("research on retrieval", "retrieval"),
        # Left as they are: topics, and queries that are nothing but request words.
        ("without retraining", "without retraining"),
        ("retraining", "retraining"),
        ("related work", "related work"),
        ("paper-writing agents", "paper-writing agents"),
        ("Attention Is All You Need", "Attention Is All You Need"),
        ("papers", "papers"),
        ("The density of cells has no effect on the distance over which cytokines act.",) * 2,
    ],
)
def test_the_topic_of_a_query_leaves_out_its_request_words(query, topic):
    assert topic_of(query) == topic


@pytest.fixture
def retraining_corpus(db) -> dict[str, Paper]:
    """The 129 "retraining" papers among the demo's papers and the Car Wash one's feed day, embedded and
    indexed."""
    need(SEED.is_file(), f"the seed search result page is not at {SEED}")
    seed = json.loads(SEED.read_text())
    found = [
        PaperRecord(
            arxiv_id=f"2501.{n:05d}",
            title=item["title"],
            abstract=item["abstract"],
            authors=["A. Author"],
            published_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        )
        for n, item in enumerate(seed, 1)
    ]
    # The demo's papers, and the real feed day that listed the Car Wash paper.
    need(CAR_WASH_DAY.is_file(), f"the Hugging Face archive is not at {CAR_WASH_DAY}")
    demo = records(None)
    demo_ids = {r.arxiv_id for r in demo}
    day = [r for r in hf_daily.read_file(CAR_WASH_DAY).records if r.arxiv_id not in demo_ids]
    assert any(r.title.startswith(CAR_WASH) for r in day)
    upsert([*found, *demo, *day])
    papers = list(Paper.objects.all())
    store_embeddings(papers)
    update_index()
    return {p.title: p for p in papers}


def _titles(query: str, n: int = 10) -> list[str]:
    return [hit.paper.title for hit in search_papers(query, limit=n).hits]


def test_papers_that_avoid_retraining_are_about_avoiding_retraining(retraining_corpus):
    seed_titles = {item["title"] for item in json.loads(SEED.read_text())}
    top = _titles("papers that avoid retraining")
    assert not any(title.startswith(CAR_WASH) for title in top[:5]), top[:5]
    assert all(title in seed_titles for title in top[:3]), top[:3]
    # What the request words would have matched: no more than the topic alone finds.
    assert top == _titles("avoid retraining")
    for hit in search_papers("papers that avoid retraining", limit=20).hits:
        assert "<mark>paper" not in hit.abstract_html.lower()


def test_topic_queries_keep_working(retraining_corpus):
    seed_titles = {item["title"] for item in json.loads(SEED.read_text())}
    for query in ("retraining", "without retraining"):
        top = _titles(query)
        assert sum(title in seed_titles for title in top) >= 8, (query, top)
    assert _titles("retraining", n=100) == _titles("show me papers on retraining", n=100)
