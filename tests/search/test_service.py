"""Search service: relevance on real papers, exact matches, typos, filters, highlighting, indexing."""

from __future__ import annotations

import datetime as dt
import html
import re

import numpy as np
import pytest

from dailypapers.papers.models import Paper
from dailypapers.search import instance
from dailypapers.search.indexing import rebuild_index, update_index
from dailypapers.search.models import PaperEmbedding
from dailypapers.search.query import search_papers, similar_papers
from tests.support.factories import add_paper
from tests.support.search_corpus import load_corpus, records

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def search_dir(settings, _own_search_index):
    # The folder is each test's own already (conftest); these tests need meaning too.
    settings.SEARCH_SEMANTIC = True
    return _own_search_index


@pytest.fixture
def corpus():
    papers = load_corpus()
    update_index()
    return {p.arxiv_id: p for p in papers}


def ids(results) -> list[str]:
    return [h.paper.arxiv_id for h in results.hits]


def test_every_title_finds_its_paper_first(corpus):
    for paper in corpus.values():
        results = search_papers(paper.title)
        assert ids(results)[0] == paper.arxiv_id, paper.title
        assert results.hits[0].match == "title"


def test_title_words_without_the_exact_title_still_rank_the_paper_first(corpus):
    # The title with its last word dropped and lower-cased: no exact match, BM25 + embeddings decide.
    hits = 0
    for paper in corpus.values():
        words = paper.title.split()
        if len(words) < 5:
            continue
        results = search_papers(" ".join(words[:-1]).lower())
        assert results.mode == "hybrid"
        assert paper.arxiv_id in ids(results)[:3], paper.title
        hits += ids(results)[0] == paper.arxiv_id
    assert hits >= 0.9 * sum(1 for p in corpus.values() if len(p.title.split()) >= 5)


def _typo(word: str) -> str:
    return word[:2] + word[3:]  # drop the third letter


def test_a_title_with_typos_finds_the_paper(corpus):
    found = tried = 0
    for paper in corpus.values():
        words = re.findall(r"[A-Za-z]{6,}", paper.title)
        if len(words) < 2:
            continue
        tried += 1
        query = paper.title.replace(words[0], _typo(words[0])).replace(words[1], _typo(words[1]))
        results = search_papers(query)
        assert paper.arxiv_id in ids(results)[:3], query
        found += ids(results)[0] == paper.arxiv_id
    assert tried >= 10 and found >= 0.9 * tried


def test_arxiv_id_in_any_form_gives_that_paper_first(corpus):
    arxiv_id = next(iter(corpus))
    for form in (
        arxiv_id,
        f"arXiv:{arxiv_id}v2",
        f"https://arxiv.org/abs/{arxiv_id}",
        f"arxiv.org/pdf/{arxiv_id}.pdf",
    ):
        results = search_papers(form)
        assert ids(results) == [arxiv_id], form
        assert results.hits[0].match == "arXiv id"
    missing = search_papers("2101.00001")
    assert missing.hits == [] and missing.arxiv_ref.id == "2101.00001"


def test_author_name_finds_their_papers(corpus):
    rec = records()[5]
    author = rec.authors[0]
    results = search_papers(author)
    expected = {r.arxiv_id for r in records() if author in r.authors}
    assert set(ids(results)[: len(expected)]) == expected
    # A lower-cased surname-first spelling works as well.
    first, *rest = author.split()
    if rest:
        assert rec.arxiv_id in ids(search_papers(f"{rest[-1].lower()} {first.lower()}"))[:3]


def test_meaning_without_shared_words_is_found_by_the_dense_side(corpus):
    paper = next(p for p in corpus.values() if "agent" in p.abstract.lower())
    dense = search_papers(paper.abstract[:300], mode="dense")
    assert ids(dense)[0] == paper.arxiv_id
    assert dense.hits[0].dense_score > 0.6 and dense.hits[0].lexical_rank is None


def test_hidden_papers_never_appear(corpus):
    paper = next(iter(corpus.values()))
    Paper.objects.filter(pk=paper.pk).update(hidden=True)
    assert paper.arxiv_id not in ids(search_papers(paper.title))  # before the index knows
    assert paper.arxiv_id not in ids(search_papers(paper.arxiv_id))
    update_index([paper.pk])
    assert paper.arxiv_id not in ids(search_papers(paper.title))
    assert all(p.arxiv_id != paper.arxiv_id for p in similar_papers(next(iter(corpus.values()))))
    Paper.objects.filter(pk=paper.pk).update(hidden=False)
    update_index([paper.pk])
    assert ids(search_papers(paper.title))[0] == paper.arxiv_id


def test_filters_by_category_date_and_code(corpus):
    query = "language models"
    everything = search_papers(query, limit=100)
    assert everything.total >= 10
    cl = search_papers(query, categories=["cs.CL"], limit=100)
    assert cl.hits and all("cs.CL" in [c.code for c in h.paper.categories.all()] for h in cl.hits)
    assert len(cl.hits) < len(everything.hits)
    spring = search_papers(query, since=dt.date(2026, 3, 1), until=dt.date(2026, 4, 30), limit=100)
    assert spring.hits
    assert all(
        dt.date(2026, 3, 1) <= h.paper.published_at.date() <= dt.date(2026, 4, 30) for h in spring.hits
    )
    code = search_papers(query, has_code=True, limit=100)
    no_code = search_papers(query, has_code=False, limit=100)
    assert code.hits and no_code.hits
    assert all(h.paper.github_repo for h in code.hits) and not any(h.paper.github_repo for h in no_code.hits)
    assert set(ids(code)) | set(ids(no_code)) >= set(ids(everything)[:20])
    assert search_papers(query, categories=["math.AG"]).hits == []


def test_paging_covers_results_once(corpus):
    first = search_papers("model", limit=5)
    second = search_papers("model", limit=5, offset=5)
    assert len(first.hits) == 5 and second.hits
    assert not set(ids(first)) & set(ids(second))
    assert ids(search_papers("model", limit=10))[:10] == (ids(first) + ids(second))[:10]


def test_highlighting_marks_stemmed_matches_and_escapes_everything_else(corpus):
    add_paper(
        "2601.09999",
        title='<script>alert("x")</script> Reasoning & Planning with <b>Agents</b>',
        abstract="An agent reasons; it planned ahead. <img src=x onerror=alert(1)>",
    )
    update_index([Paper.objects.get(arxiv_id="2601.09999").pk])
    hit = next(h for h in search_papers("agent planning").hits if h.paper.arxiv_id == "2601.09999")
    assert "<script>" not in hit.title_html and "<img" not in hit.abstract_html
    assert "&lt;script&gt;" in hit.title_html and "&amp;" in hit.title_html
    assert "<mark>Planning</mark>" in hit.title_html and "<mark>Agents</mark>" in hit.title_html
    assert "<mark>agent</mark>" in hit.abstract_html and "<mark>planned</mark>" in hit.abstract_html
    # Nothing but <mark> is markup: stripping the marks and unescaping gives the text back.
    assert html.unescape(re.sub(r"</?mark>", "", hit.title_html)) == hit.paper.title
    assert hit.explanation


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced quote',
        "title:foo AND (bar OR -baz)^3 ~2 *",
        "'; DROP TABLE papers_paper; --",
        "😀🚀 transformers 漢字",
        "x" * 10_000,
        "language " * 3000,
        "\x00\x01 null bytes",
        "[]{}<>!@#$%^&*()+=|\\/?",
        "NOT",
        "-",
    ],
)
def test_hostile_queries_answer_without_error(corpus, query):
    results = search_papers(query)
    assert results.total >= len(results.hits)
    for h in results.hits:
        assert "<script" not in h.title_html


def test_empty_index_and_empty_query(settings):
    assert search_papers("anything").hits == []
    assert search_papers("").hits == [] and search_papers("   ").total == 0
    add_paper("2601.00001", "Lonely paper about graphs")
    assert similar_papers(Paper.objects.get()) == []


def test_keyword_search_works_while_vectors_are_missing(settings, monkeypatch):
    papers = load_corpus(embed=False)
    settings.SEARCH_SEMANTIC = False  # index keywords only, as before `index` has embedded anything
    update_index()
    assert PaperEmbedding.objects.count() == 0
    settings.SEARCH_SEMANTIC = True
    instance.reset()
    paper = papers[3]

    def not_to_be_called(text):
        raise AssertionError("embedded a query with no vectors to search")

    with monkeypatch.context() as patch:
        patch.setattr(instance.embedder(), "embed_query", not_to_be_called)
        results = search_papers(paper.title)
    assert results.mode == "lexical" and ids(results)[0] == paper.arxiv_id
    assert results.hits[0].dense_rank is None
    # Similar papers fall back to keywords too.
    assert similar_papers(paper)
    update_index()  # now embeds everything missing
    assert PaperEmbedding.objects.count() == len(papers)
    assert search_papers(paper.title).mode == "hybrid"


def test_a_new_paper_is_findable_after_update_index_and_a_changed_one_is_reembedded(corpus):
    add_paper(
        "2601.05555",
        title="Quokka: Marsupial Navigation Benchmarks for Embodied Agents",
        abstract="We study how small marsupials find their way, as a benchmark for embodied navigation.",
    )
    paper = Paper.objects.get(arxiv_id="2601.05555")
    assert "2601.05555" not in ids(search_papers("quokka marsupial"))
    update_index([paper.pk])
    assert ids(search_papers("quokka marsupial"))[0] == "2601.05555"
    emb = PaperEmbedding.objects.get(paper=paper)
    before = emb.as_array().copy()
    Paper.objects.filter(pk=paper.pk).update(
        title="Wombat Burrows", abstract="A study of wombat burrows with ground-penetrating radar."
    )
    update_index([paper.pk])
    emb.refresh_from_db()
    assert not (emb.as_array() == before).all()
    assert ids(search_papers("wombat burrows radar"))[0] == "2601.05555"
    assert "2601.05555" not in ids(search_papers("quokka marsupial"))[:1]
    # Deleted papers leave the index.
    pk = paper.pk
    paper.delete()
    update_index([pk])
    assert "2601.05555" not in ids(search_papers("wombat burrows radar"))


def test_rebuild_gives_the_same_results_without_embedding_again(corpus, settings):
    queries = ["agents", "video generation", "reinforcement learning for reasoning", records()[7].title]
    before = [ids(search_papers(q, limit=30)) for q in queries]
    similar_before = [p.arxiv_id for p in similar_papers(next(iter(corpus.values())))]
    stamps = dict(PaperEmbedding.objects.values_list("paper_id", "embedded_at"))
    rebuild_index()
    instance.reset()
    assert [ids(search_papers(q, limit=30)) for q in queries] == before
    assert [p.arxiv_id for p in similar_papers(next(iter(corpus.values())))] == similar_before
    assert dict(PaperEmbedding.objects.values_list("paper_id", "embedded_at")) == stamps
    assert len(list(settings.SEARCH_DIR.glob("g-*"))) == 1  # the old generation is gone


def test_rebuild_with_the_hnsw_graph_gives_the_same_neighbours(corpus, settings):
    paper = next(iter(corpus.values()))
    exact = [p.arxiv_id for p in similar_papers(paper, limit=5)]
    settings.SEARCH_HNSW_THRESHOLD = 10  # the graph from 10 vectors on
    instance.reset()
    rebuild_index()
    assert list(settings.SEARCH_DIR.glob("g-*/graph.usearch"))
    assert [p.arxiv_id for p in similar_papers(paper, limit=5)] == exact
    # With a graph, vectors are read from it rather than from the mapped file: the same values.
    store = instance.get_engine().vectors
    found, from_graph = store.get(store.sorted_ids)
    assert store.hnsw is not None and found.all()
    assert np.array_equal(from_graph, np.asarray(store.vectors[store.rows_of_sorted]))
    # Incremental updates go into the graph too.
    add_paper("2601.07777", title=paper.title + " (extended)", abstract=paper.abstract)
    update_index([Paper.objects.get(arxiv_id="2601.07777").pk])
    assert similar_papers(paper, limit=1)[0].arxiv_id == "2601.07777"


def test_similar_papers_are_nearest_neighbours(corpus):
    paper = next(iter(corpus.values()))
    add_paper("2601.08888", title="A follow-up: " + paper.title, abstract=paper.abstract[:400])
    update_index([Paper.objects.get(arxiv_id="2601.08888").pk])
    similar = similar_papers(paper, limit=5)
    assert similar[0].arxiv_id == "2601.08888"
    assert paper.arxiv_id not in [p.arxiv_id for p in similar] and len(similar) == 5


def test_the_embedding_computed_beside_bm25_gives_the_same_ranking(corpus):
    engine = instance.get_engine()
    embedder = instance.embedder()
    for query in ["agents", "video generation", records()[5].title]:
        vector = embedder.embed_query(query)
        given = engine.search(query, vector, depth=30).candidates
        computed = engine.search(query, lambda q=query: embedder.embed_query(q), depth=30).candidates
        assert [(c.id, c.score) for c in computed] == [(c.id, c.score) for c in given]


def test_stop_words_are_looked_up_only_when_the_query_has_nothing_else(corpus):
    from dailypapers.search.lexical import STEMMER, keywords

    assert keywords(STEMMER.analyze("The agents of the world")) == ["agent", "world"]
    assert keywords(STEMMER.analyze("to be or not to be")) == ["to", "be", "or", "not"]
    add_paper("2601.06666", title="Not To Be Outdone", abstract="Whether it is, or it is not, to be seen.")
    update_index([Paper.objects.get(arxiv_id="2601.06666").pk])
    assert ids(search_papers("to be or not", mode="lexical"))[0] == "2601.06666"
    # Nor are they marked in a query that has other words.
    results = search_papers("not outdone", mode="lexical")
    hit = next(h for h in results.hits if h.paper.arxiv_id == "2601.06666")
    assert hit.title_html == "Not To Be <mark>Outdone</mark>"
