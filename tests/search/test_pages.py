"""The search page, ?similar_to=, and the similar-papers box on paper pages, through Django's client."""

from __future__ import annotations

import re

import pytest

from dailypapers.papers.models import Paper
from dailypapers.search import instance
from dailypapers.search.indexing import update_index
from tests.support.factories import add_paper
from tests.support.search_corpus import load_corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus():
    papers = load_corpus()
    update_index()
    return papers


def result_ids(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title" id="t-\d+"><a href="/papers/([^"]+)">', html)


def test_search_page_ranks_highlights_and_explains(client, corpus):
    paper = corpus[4]
    response = client.get("/papers/search", {"q": paper.title})
    assert response.status_code == 200
    html = response.content.decode()
    assert result_ids(html)[0] == paper.arxiv_id
    assert "<mark>" in html and "Exact title" in html
    assert 'name="q" value="' in html  # the query stays in the box
    assert "keyword rank" in html or "semantic rank" in html


def test_filters_and_paging_links_keep_the_query(client, corpus):
    response = client.get("/papers/search", {"q": "model", "code": "yes"})
    html = response.content.decode()
    ids = result_ids(html)
    assert ids and all(Paper.objects.get(arxiv_id=i).github_repo for i in ids)
    page1 = client.get("/papers/search", {"q": "language model agents reasoning video"}).content.decode()
    assert 'rel="next"' in page1
    next_url = re.search(r'<a class="button" rel="next" href="([^"]+)"', page1).group(1).replace("&amp;", "&")
    assert "page=2" in next_url and "q=language" in next_url
    page2 = client.get("/papers/search" + next_url).content.decode()
    assert not set(result_ids(page1)) & set(result_ids(page2))
    assert 'rel="prev"' in page2
    cl = client.get("/papers/search", {"q": "model", "category": "cs.CL"}).content.decode()
    assert all(
        "cs.CL" in Paper.objects.get(arxiv_id=i).categories.values_list("code", flat=True)
        for i in result_ids(cl)
    )
    none = client.get("/papers/search", {"q": "model", "since": "2030-01-01"}).content.decode()
    assert "No papers found" in none and "removing some filters" in none


@pytest.mark.parametrize(
    "params, status, message",
    [
        ({"q": ""}, 200, "Type some words"),
        ({}, 200, "Type some words"),
        ({"q": "x", "since": "yesterday"}, 400, "Enter a valid date"),
        ({"q": "x", "since": "2026-05-01", "until": "2026-04-01"}, 400, "end date is before"),
        ({"q": "x", "category": "cs.NOPE"}, 400, "Unknown category: cs.NOPE"),
        ({"q": "x", "page": "0"}, 400, "greater than or equal to 1"),
        ({"q": "x", "page": "9999"}, 400, "Results stop at page"),
        ({"q": "x", "code": "maybe"}, 400, "Select a valid choice"),
    ],
)
def test_bad_input_gives_a_clear_message(client, params, status, message):
    response = client.get("/papers/search", params)
    assert response.status_code == status
    assert message in response.content.decode()


def test_a_too_long_query_is_cut_and_said_so(client, corpus):
    response = client.get("/papers/search", {"q": corpus[0].title + " " + "words " * 400})
    assert response.status_code == 200
    assert "only its first 1,000 were used" in response.content.decode()


def test_arxiv_ids_found_and_missing(client, corpus):
    html = client.get(
        "/papers/search", {"q": f"https://arxiv.org/abs/{corpus[2].arxiv_id}v1"}
    ).content.decode()
    assert result_ids(html) == [corpus[2].arxiv_id] and "Exact arXiv id" in html
    html = client.get("/papers/search", {"q": "2101.00001"}).content.decode()
    assert "arXiv:2101.00001 is not in this catalogue" in html and 'href="/papers/2101.00001"' in html


def test_user_text_is_escaped_on_the_page(client):
    add_paper(
        "2601.00666", title="<script>alert(1)</script> Evil transformers", abstract="<b>bold</b> transformers"
    )
    update_index()
    html = client.get("/papers/search", {"q": "<script>alert(2)</script> transformers"}).content.decode()
    assert "<script>alert" not in html and "<b>bold" not in html
    assert "&lt;<mark>script</mark>&gt;<mark>alert</mark>(1)&lt;/<mark>script</mark>&gt; Evil" in html
    assert "&lt;b&gt;bold&lt;/b&gt; <mark>transformers</mark>" in html


def test_similar_to_and_the_paper_page_box(client, corpus):
    paper = corpus[0]
    add_paper("2601.08888", title="Revisited: " + paper.title, abstract=paper.abstract)
    update_index()
    html = client.get("/papers/search", {"similar_to": f"arXiv:{paper.arxiv_id}"}).content.decode()
    assert "Papers similar to" in html
    ids = re.findall(r'<h2 class="card-title" id="t-\d+"><a href="/papers/([^"]+)">', html)
    assert ids[0] == "2601.08888" and paper.arxiv_id not in ids
    page = client.get(f"/papers/{paper.arxiv_id}").content.decode()
    box = page.split('class="similar"', 1)[1]
    assert "Similar papers" in box and 'href="/papers/2601.08888"' in box
    assert f"similar_to={paper.arxiv_id}" in box
    missing = client.get("/papers/search", {"similar_to": "2101.00001"})
    assert missing.status_code == 404 and "not a paper in this catalogue" in missing.content.decode()


def test_paper_page_renders_without_any_index(client, settings, tmp_path):
    add_paper("2601.00001", "Paper without an index")
    settings.SEARCH_DIR = tmp_path / "nothing-here"
    instance.reset()
    response = client.get("/papers/2601.00001")
    assert response.status_code == 200 and "Similar papers" not in response.content.decode()


def test_header_box_submits_to_the_search_page(client, corpus):
    html = client.get(f"/papers/{corpus[0].arxiv_id}").content.decode()
    assert 'action="/papers/search"' in html and 'name="q"' in html


def test_claimed_authors_link_on_the_search_page_in_one_query_for_the_page(client, corpus):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dailypapers.community.models import AuthorClaim
    from tests.support.factories import add_user

    mod = add_user("mod", is_staff=True)
    query = {"q": "language model agents"}
    for i, arxiv_id in enumerate(result_ids(client.get("/papers/search", query).content.decode())[:6]):
        paper = Paper.objects.get(arxiv_id=arxiv_id)
        position = paper.authorships.order_by("position").first().position
        AuthorClaim.ask(add_user(f"author{i}"), paper, position).decide(mod, True)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/papers/search", {**query, "page": "1"}).content.decode()
    assert html.count('class="claimed"') == 6
    claim_reads = [q["sql"] for q in queries.captured_queries if "community_authorclaim" in q["sql"]]
    assert len(claim_reads) == 1, claim_reads
