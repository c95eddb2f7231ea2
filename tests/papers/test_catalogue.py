"""The catalogue's shared lookups: a paper by reference, and what paper cards prefetch."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.papers.models import Paper, prefetch_cards
from tests.support.factories import add_paper


@pytest.mark.django_db
def test_by_ref_reads_ids_versions_and_links():
    add_paper("2608.19880", "Found", categories=["cs.CL"])
    for ref in (
        "2608.19880",
        "2608.19880v3",
        " arXiv:2608.19880 ",
        "https://arxiv.org/abs/2608.19880v2",
        "https://arxiv.org/pdf/2608.19880.pdf",
        "https://huggingface.co/papers/2608.19880",
        parse_arxiv_id("2608.19880v1"),
    ):
        paper = Paper.objects.by_ref(ref)
        assert paper is not None and paper.title == "Found", ref
    assert Paper.objects.by_ref("2608.19881") is None  # an id, not in the catalogue
    assert Paper.objects.by_ref("not an id") is None
    assert Paper.objects.by_ref("") is None


@pytest.mark.django_db
def test_by_ref_on_a_queryset_keeps_its_filters():
    add_paper("2608.19880", "Hidden")
    Paper.objects.update(hidden=True)
    assert Paper.objects.by_ref("2608.19880") is not None
    assert Paper.objects.visible().by_ref("2608.19880") is None


@pytest.mark.django_db
def test_cards_cost_the_same_few_queries_for_any_number_of_papers():
    for n in range(5):
        add_paper(f"2608.1988{n}", f"Paper {n}", categories=["cs.CL", "cs.LG"], authors=[f"A{n}", "B", "C"])
    papers = list(Paper.objects.order_by("arxiv_id"))
    with CaptureQueriesContext(connection) as queries:
        prefetch_cards(papers, listings=True)
        shown = [
            ([a.author.name for a in p.authorships.all()], [c.code for c in p.categories.all()])
            for p in papers
        ]
        assert all(p.visible_listings == [] for p in papers)
    # Authors, categories, listings, and one for each card extra a higher app registered (community:
    # the approved authorship claims).
    assert len(queries) == 4, [q["sql"][:80] for q in queries.captured_queries]
    assert shown[0] == (["A0", "B", "C"], ["cs.CL", "cs.LG"])
    with CaptureQueriesContext(connection) as queries:
        again = list(Paper.objects.order_by("arxiv_id").for_cards())
        assert [[a.author.name for a in p.authorships.all()] for p in again][4] == ["A4", "B", "C"]
    assert len(queries) == 3  # papers, authors, categories


@pytest.mark.django_db
def test_arxiv_comments_show_on_the_paper_page_and_in_its_markdown(client):
    add_paper("2608.19880", "Commented", arxiv_comments="12 pages, 3 figures")
    html = client.get("/papers/2608.19880").content.decode()
    assert "<dt>arXiv comments</dt><dd>12 pages, 3 figures</dd>" in html
    assert "## Comments\n\n12 pages, 3 figures" in client.get("/papers/2608.19880.md").content.decode()
    assert client.get("/api/papers/2608.19880").json()["id"] == "2608.19880"
