"""The vote forms on every page that has them, through Django's client: each comes back to the page it
is on (a feed page's own `next`, the following day, must not leak into it), a return address that is
no address is not followed, and an htmx vote updates the other figures on the page that count it."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from dailypapers.papers.models import Listing, Paper
from dailypapers.search.indexing import update_index
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
EARLIER, THURSDAY, FRIDAY = dt.date(2026, 8, 12), dt.date(2026, 8, 20), dt.date(2026, 8, 21)


@pytest.fixture
def feed():
    """Three feed days in two weeks and two months, so that every page but the last has a later one."""
    add_paper("2607.00001", "A July paper about graphs", dt.date(2026, 7, 30), votes=1)
    add_paper("2608.00001", "Graph retrieval", EARLIER, votes=2)
    add_paper("2608.00002", "Graph transformers", THURSDAY, votes=7, ai_keywords=["graph learning"])
    add_paper("2608.00003", "Graph sampling", FRIDAY, votes=3)


def return_addresses(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'<input type="hidden" name="next" value="([^"]*)">', page)]


@pytest.mark.parametrize(
    "url",
    [
        "/papers/date/2026-08-20",
        "/papers/date/2026-08-20?sort=new&page=1",
        "/papers/week/2026-W33",
        "/papers/month/2026-07",
        "/papers/2608.00002",
        "/",
    ],
)
def test_every_vote_form_comes_back_to_its_own_page(client, feed, url):
    page = client.get(url).content.decode()
    assert 'rel="next"' in page or url in {"/", "/papers/2608.00002"}  # the page has a later one
    addresses = return_addresses(page)
    assert addresses and set(addresses) == {url}


def card_of(page: str, arxiv_id: str) -> str:
    """The card (feed card or search hit) of one paper on a page."""
    [card] = [c for c in page.split("<article")[1:] if f'href="/papers/{arxiv_id}"' in c]
    return card


def test_search_results_have_working_vote_forms_and_keep_the_why_folded(client, feed):
    update_index()
    client.force_login(add_user("ada"))
    client.post("/papers/2608.00002/upvote", {"on": "1"})
    url = "/papers/search?q=graph"
    page = client.get(url).content.decode()
    hits = page.count('class="card search-hit"')
    assert hits >= 3 and page.count('class="vote-form"') == hits and set(return_addresses(page)) == {url}
    assert 'aria-pressed="true"' in card_of(page, "2608.00002")
    assert 'aria-pressed="false"' in card_of(page, "2608.00003")
    # The ranking's figures are behind "Why here?", never in the card's own line.
    assert "keyword rank" not in re.sub(r'<details class="why">.*?</details>', "", page, flags=re.S)
    assert page.count("<summary>Why here?</summary>") == hits


def test_similar_papers_show_the_readers_votes(client, feed):
    update_index()
    ada = add_user("ada")
    client.force_login(ada)
    for paper in Paper.objects.exclude(arxiv_id="2608.00001"):
        client.post(f"/papers/{paper.arxiv_id}/upvote", {"on": "1"})
    page = client.get("/papers/search?similar_to=2608.00001").content.decode()
    assert page.count('aria-pressed="true"') == page.count('class="vote-form"') > 0


@pytest.mark.parametrize("target", ["Period(kind='day', start=datetime.date(2026, 8, 21))", "papers/x", ""])
def test_a_return_address_that_is_no_page_of_ours_is_not_followed(client, feed, target):
    response = client.post("/papers/2608.00002/upvote", {"on": "1", "next": target})
    assert response["Location"] == "/accounts/login?next=/papers/2608.00002"
    client.force_login(add_user("ada"))
    response = client.post("/papers/2608.00002/upvote", {"on": "1", "next": target})
    assert response["Location"] == "/papers/2608.00002"
    # The page it came from, if the browser says which, is the next best place.
    response = client.post(
        "/papers/2608.00002/upvote",
        {"on": "1", "next": target},
        HTTP_REFERER="http://testserver/papers/week/2026-W33",
    )
    assert response["Location"] == "http://testserver/papers/week/2026-W33"


def test_htmx_vote_on_the_paper_page_updates_its_side_panel(client, feed):
    client.force_login(add_user("ada"))
    assert (
        '<span id="vote-tally" data-testid="vote-tally">0 here'
        in client.get("/papers/2608.00002").content.decode()
    )
    response = client.post(
        "/papers/2608.00002/upvote", {"on": "1", "size": "big", "next": "/papers/2608.00002"}, **HTMX
    )
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<form class="vote-form"') and 'class="votes big voted"' in fragment
    assert (
        '<span id="vote-tally" data-testid="vote-tally" hx-swap-oob="true">1 here<br>7 on Hugging Face'
        in fragment
    )
    # A card's button (not the big one) has no side panel to update.
    response = client.post("/papers/2608.00003/upvote", {"on": "1", "next": "/"}, **HTMX)
    assert "hx-swap-oob" not in response.content.decode()


def test_htmx_vote_on_a_card_updates_why_it_is_there(client, feed):
    client.force_login(add_user("ada"))
    listing = Listing.objects.get(paper__arxiv_id="2608.00002")
    page = client.get("/papers/date/2026-08-20").content.decode()
    assert f'<input type="hidden" name="listing" value="{listing.pk}">' in page
    assert (
        '<input type="hidden" name="sort" value="votes"><input type="hidden" name="rank" value="1">' in page
    )
    why = f'<span id="why-{listing.pk}">Placed #1 because “Most votes” orders by votes: it has 7 votes'
    assert why + " (0 here, 7 on Hugging Face)." in page

    form = {"on": "1", "next": "/papers/date/2026-08-20", "listing": listing.pk, "sort": "votes", "rank": "1"}
    fragment = client.post("/papers/2608.00002/upvote", form, **HTMX).content.decode()
    assert f'<span id="why-{listing.pk}" hx-swap-oob="true">Placed #1 because “Most votes” orders' in fragment
    assert "it has 8 votes (1 here, 7 on Hugging Face)." in fragment
    assert f'name="listing" value="{listing.pk}"' in fragment  # the next vote updates it again

    # What the form says is checked: another paper's listing, a sort or rank that is none.
    other = Listing.objects.get(paper__arxiv_id="2608.00003").pk
    for changed in [{"listing": other}, {"sort": "best"}, {"listing": "9" * 30}, {"listing": "²"}]:
        fragment = client.post("/papers/2608.00002/upvote", {**form, **changed}, **HTMX).content.decode()
        assert "hx-swap-oob" not in fragment
    fragment = client.post("/papers/2608.00002/upvote", {**form, "rank": "²"}, **HTMX).content.decode()
    assert "Placed here because" in fragment


def test_cards_link_keywords_and_submitters_and_leave_out_empty_chips(client, feed):
    Listing.objects.filter(paper__arxiv_id="2608.00002").update(
        submitted_by=add_user("ada"), source="submission"
    )
    page = client.get("/papers/date/2026-08-20").content.decode()
    assert '<li><a class="chip" href="/papers/search?q=graph%20learning">graph learning</a></li>' in page
    assert 'Submitted by <a href="/u/ada"><strong>ada</strong></a>' in page
    # A paper with neither categories nor keywords has no empty list of chips.
    page = client.get("/papers/date/2026-08-21").content.decode()
    assert 'class="chips"' not in page
    paper = client.get("/papers/2608.00002").content.decode()
    assert '<a class="chip" href="/papers/search?q=graph%20learning">graph learning</a>' in paper
