"""The paper card (front/_card.html, its fields worked out by front.templatetags.cards): its vote, save,
"add to collection" and "not interested" forms are the partials' own, as htmx swaps them in after a
click; it reads the same whether a page loaded only what cards show (prefetch_card_faces) or every
author; who submitted the paper, linked where there is a page for them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import RequestFactory

from dailypapers.papers import ranking
from dailypapers.papers.models import Listing, Paper, prefetch_card_faces, prefetch_cards
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 8, 21)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def render(
    template: str, context: dict, user=None, path: str = "/papers/date/2026-08-21?sort=new&page=1"
) -> str:
    request = RequestFactory().get(path)
    request.user = user or AnonymousUser()
    return CSRF.sub('name="csrfmiddlewaretoken" value="X"', render_to_string(template, context, request))


def card(paper: Paper, listing: Listing | None, user=None, voted=(), saved=()) -> str:
    context = {"paper": paper, "listing": listing, "voted_ids": set(voted), "saved_ids": set(saved)}
    return render("front/_card.html", context, user)


@pytest.fixture
def papers():
    add_paper("2608.00001", "Imported & popular", DAY, votes=1234)
    add_paper(
        "2608.00002", "Quiet <one>", DAY, votes=0, github_repo="https://github.com/o/r", github_stars=4321
    )
    one = Paper.objects.get(arxiv_id="2608.00002")
    one.upvote_count, one.imported_site, one.comment_count = 1, "", 1
    one.save()
    return list(Listing.objects.select_related("paper").order_by("paper__arxiv_id"))


@pytest.mark.parametrize("placed", [True, False])
def test_the_cards_forms_are_the_partials(papers, placed):
    ada = add_user("ada")
    for rank, listing in enumerate(papers, start=1):
        paper = listing.paper
        if placed:
            listing.placement = ranking.explain(listing, "votes", rank=rank)
        for voted in (True, False):
            for saved in (True, False):
                html = card(
                    paper, listing, ada, voted=[paper.pk] if voted else [], saved=[paper.pk] if saved else []
                )
                vote = render(
                    "community/_vote.html", {"paper": paper, "voted": voted, "vote_listing": listing}, ada
                )
                save = render("recommend/_save.html", {"paper": paper, "saved": saved}, ada)
                dismiss = render(
                    "recommend/_dismiss.html", {"paper": paper, "dismissed": False, "dismiss_card": True}, ada
                )
                collect = render("collections/_add.html", {"paper": paper}, ada)
                assert f'  {vote}\n  <div class="card-body">' in html
                assert f'<span class="card-actions">{save}{collect}{dismiss}</span>' in html
                assert ('name="rank"' in vote) == placed
    # Strangers get the vote form (it asks them to sign in) and no save or dismiss form.
    html = card(papers[0].paper, papers[0], voted=[])
    assert (
        render("community/_vote.html", {"paper": papers[0].paper, "voted": False, "vote_listing": papers[0]})
        in html
    )
    assert "card-actions" not in html


def test_the_votes_and_comments_read_as_before(papers):
    imported, quiet = (card(listing.paper, listing) for listing in papers)
    assert 'title="Upvote: 0 votes here, 1234 on Hugging Face"' in imported
    assert '<strong data-testid="vote-count">1,234</strong>' in imported
    assert 'title="0 comments here, 0 on Hugging Face"' in imported
    assert 'title="Upvote: 1 vote here"' in quiet and 'title="1 comment here"' in quiet
    assert "Quiet &lt;one&gt;" in quiet and "Code ★ 4.3k</a>" in quiet
    assert 'title="4,321 stars on GitHub"' in quiet


@pytest.mark.parametrize("stars", [None, 0, 1, 999, 1234, 56_789, 1_250_000])
def test_the_code_badge_is_the_paper_pages(papers, stars):
    """The card's code badge is front/_code_badge.html's, as the paper page includes it."""
    listing = papers[1]
    listing.paper.github_stars = stars
    badge = render("front/_code_badge.html", {"paper": listing.paper})
    assert badge.endswith("</a>") and badge in card(listing.paper, listing)
    assert ("★" in badge) == (stars is not None)


AUTHOR_COUNTS = [1, 4, 5, 9]


@pytest.fixture
def bylines():
    for n in AUTHOR_COUNTS:
        add_paper(
            f"2608.1000{n}",
            f"{n} authors",
            DAY,
            authors=[f"Author {i} of {n}" for i in range(n)] + (["Author 0 of 9"] if n == 9 else []),
            categories=["cs.LG", "cs.AI", "stat.ML", "cs.CL"][: n % 5],
            ai_keywords=["alpha", "beta & gamma", "delta", "epsilon"],
            ai_summary="" if n % 2 else "The summary.",
            abstract=" ".join(f"word{i}" for i in range(60)),
        )


def test_a_card_reads_the_same_from_what_cards_show_as_from_every_author(bylines):
    listings = list(Listing.objects.select_related("paper").order_by("paper__arxiv_id"))

    def cards(load) -> list[str]:
        fresh = list(Listing.objects.select_related("paper").order_by("paper__arxiv_id"))
        load([listing.paper for listing in fresh])
        return [card(listing.paper, listing) for listing in fresh]

    faces, every, unloaded = cards(prefetch_card_faces), cards(prefetch_cards), cards(lambda papers: None)
    assert faces == every == unloaded
    by_count = dict(zip(AUTHOR_COUNTS, faces, strict=True))
    assert (
        re.search(r'<p class="authors">(.*?)</p>', by_count[1])[1]
        == '<a href="/authors/author%200%20of%201">Author 0 of 1</a>'
    )
    names = re.findall(
        r'<a href="/authors/[^"]+">([^<]+)</a>', re.search(r'<p class="authors">(.*?)</p>', by_count[9])[1]
    )
    assert names == [f"Author {i} of 9" for i in range(4)]
    assert "</a> and 6 more</p>" in by_count[9]  # ten names, one person twice: ten authorships
    assert "</a> and 1 more</p>" in by_count[5] and " more</p>" not in by_count[4]
    chips = re.findall(r'<li class="chip chip-cat">([^<]+)</li>', by_count[4])
    assert chips == ["cs.AI", "cs.CL", "cs.LG"]  # the first three in code order
    assert "beta &amp; gamma" in by_count[5] and "epsilon" not in by_count[5]  # no categories: keywords
    assert "word44 …</p>" in by_count[1] and "The summary." in by_count[4]
    assert len(listings) == len(AUTHOR_COUNTS)


def test_who_submitted_it_is_linked_where_they_have_a_page(bylines):
    ada = add_user("ada")
    first, second, third, fourth = Listing.objects.select_related("paper").order_by("paper__arxiv_id")
    first.submitted_by = ada
    second.submitter_name = "hf/user"  # no page: a profile name holds no slash
    third.source, third.submitter_name = Listing.Source.SUBMISSION, "someone"
    fourth.submitter_name = ""
    assert 'Submitted by <a href="/u/ada"><strong>ada</strong></a>' in card(first.paper, first)
    assert "Submitted by <strong>hf/user</strong>" in card(second.paper, second)
    assert "Submitted by <strong>someone</strong>" in card(third.paper, third)
    assert "Submitted by" not in card(fourth.paper, fourth) and "Submitted by" not in card(first.paper, None)
    listing = Listing.objects.select_related("paper").order_by("paper__arxiv_id").last()
    listing.submitter_name = "reader"
    assert 'Submitted by <a href="/u/reader"><strong>reader</strong></a>' in card(listing.paper, listing)
