"""Pages of submitters from an imported site (Hugging Face handles, not members): /u/<name> shows one
when no member holds the name, /u/<name>/huggingface always; cards and paper pages link to them."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest

from dailypapers.papers.models import Listing, Paper
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db
D1, D2, D3 = dt.date(2026, 8, 17), dt.date(2026, 8, 18), dt.date(2026, 8, 19)


def submitted_by(arxiv_id: str, name: str, fullname: str = "") -> None:
    """The paper's listings name `name` as their submitter on Hugging Face."""
    Listing.objects.filter(paper__arxiv_id=arxiv_id).update(submitter_name=name, submitter_fullname=fullname)


@pytest.fixture
def akhaliq():
    add_paper("2608.00001", "Oldest pick", D1, votes=3)
    add_paper("2608.00002", "Middle pick", D2, votes=40)
    add_paper("2608.00003", "Newest pick", D3, votes=7)
    add_paper("2608.00009", "Someone elses pick", D3, votes=9)
    for arxiv_id in ("2608.00001", "2608.00002", "2608.00003"):
        submitted_by(arxiv_id, "akhaliq", "AK")


def listed_titles(html: str) -> list[str]:
    section = html.split('id="subs-h"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<li><a href="/papers/[^"]+">([^<]+)</a>', section)


def assert_site_404(response) -> None:
    assert response.status_code == 404
    html = response.content.decode()
    assert "Go to today’s papers" in html and "Traceback" not in html


def test_an_imported_submitter_has_a_page_that_says_what_it_is(client, akhaliq):
    response = client.get("/u/akhaliq")
    assert response.status_code == 200
    html = response.content.decode()
    assert listed_titles(html) == ["Newest pick", "Middle pick", "Oldest pick"]  # newest first
    assert "Someone elses" not in html
    assert "<h1>AK</h1>" in html and "Hugging Face submitter · not a member" in html
    assert 'href="https://huggingface.co/akhaliq"' in html
    assert "is not a member here" in html and "Hugging Face’s, as of the import" in html
    assert "▲ 40, 0 comments on Hugging Face<" in html
    # Feeds, in the page and its head; nothing a member page offers.
    assert 'href="/feeds/users/akhaliq.rss"' in html and 'href="/feeds/users/akhaliq.atom"' in html
    assert 'rel="alternate" type="application/rss+xml" title="Papers submitted by akhaliq' in html
    assert "joined" not in html and "Comments <span" not in html
    # Votes and comments made here are shown apart from Hugging Face's.
    Paper.objects.filter(arxiv_id="2608.00002").update(upvote_count=2)
    assert "▲ 2, 0 comments here" in client.get("/u/akhaliq").content.decode()


def test_the_page_is_paged_like_the_feeds(client, akhaliq, settings):
    settings.PAPERS_PER_PAGE = 2
    first = client.get("/u/akhaliq").content.decode()
    assert listed_titles(first) == ["Newest pick", "Middle pick"] and "Page 1 of 2" in first
    second = client.get("/u/akhaliq?page=2").content.decode()
    assert listed_titles(second) == ["Oldest pick"] and 'href="?page=1"' in second


def test_names_match_in_any_case_and_redirect_to_the_submitters_spelling(client, akhaliq):
    response = client.get("/u/AKhaliq?page=1")
    assert response.status_code == 302 and response["Location"] == "/u/akhaliq?page=1"
    response = client.get("/u/AKHALIQ/huggingface")
    assert response.status_code == 302 and response["Location"] == "/u/akhaliq/huggingface"


def test_a_member_of_that_name_wins_and_the_imported_page_stays_reachable(client, akhaliq):
    add_user("akhaliq")
    member_page = client.get("/u/akhaliq").content.decode()
    assert "Newest pick" not in member_page and "joined" in member_page
    assert "is someone else" in member_page and 'href="/u/akhaliq/huggingface"' in member_page
    assert client.get("/u/AKHALIQ")["Location"] == "/u/akhaliq"  # the member, in any case too
    imported_page = client.get("/u/akhaliq/huggingface").content.decode()
    assert listed_titles(imported_page) == ["Newest pick", "Middle pick", "Oldest pick"]
    assert 'The member <a href="/u/akhaliq">@akhaliq</a> of this site is someone else' in imported_page
    # The feed at that name is the member's: the imported page does not offer it as theirs.
    assert "/feeds/users/akhaliq" not in imported_page


def test_a_deactivated_account_does_not_hide_the_imported_submitter(client, akhaliq):
    add_user("akhaliq", is_active=False)
    html = client.get("/u/akhaliq").content.decode()
    assert "Hugging Face submitter · not a member" in html and "Newest pick" in html


def test_unknown_names_get_the_sites_404(client, akhaliq):
    assert_site_404(client.get("/u/nobody"))
    assert_site_404(client.get("/u/nobody/huggingface"))
    assert client.get("/u/reader").status_code == 200
    Listing.objects.filter(submitter_name="reader").update(hidden=True)
    assert_site_404(client.get("/u/reader"))  # a submitter whose listings are all hidden is no one
    add_user("ada")
    assert_site_404(client.get("/u/ada/huggingface"))  # a member, but no imported submitter


def test_hidden_listings_and_papers_never_show(client, akhaliq):
    Listing.objects.filter(paper__arxiv_id="2608.00001").update(hidden=True)
    Paper.objects.filter(arxiv_id="2608.00002").update(hidden=True)
    html = client.get("/u/akhaliq").content.decode()
    assert listed_titles(html) == ["Newest pick"]
    Listing.objects.filter(paper__arxiv_id="2608.00003").update(hidden=True)
    assert_site_404(client.get("/u/akhaliq"))


@pytest.mark.parametrize(
    "name",
    [
        "a" * 151,
        "a" * 5000,
        quote("Jürgen"),
        quote("名前"),
        "%ED%A0%80",  # not UTF-8
        "..",
        ".",
        "a.b.c",
        quote("akhaliq\n"),
        "%20",
        "ak%25",  # LIKE's wildcards are matched as characters
        "ak_aliq",
    ],
)
def test_odd_names_are_404_not_500(client, akhaliq, name):
    for url in (f"/u/{name}", f"/u/{name}/huggingface"):
        assert_site_404(client.get(url))


def test_a_nul_in_a_name_is_a_400_not_500(client, akhaliq):
    # Refused before any view, like a NUL anywhere in an address (see dailypapers.core.user_text).
    for url in ("/u/%00", "/u/a%00b/huggingface"):
        response = client.get(url)
        assert response.status_code == 400 and "holds a NUL character" in response.content.decode()


def test_names_with_dots_and_letters_beyond_ascii_have_pages(client, akhaliq):
    submitted_by("2608.00009", "jürgen.schmidt", "Jürgen Schmidt")
    html = client.get("/u/jürgen.schmidt").content.decode()
    assert listed_titles(html) == ["Someone elses pick"]
    assert 'href="https://huggingface.co/j%C3%BCrgen.schmidt"' in html


def test_cards_and_paper_pages_link_imported_submitters_to_their_page(client, akhaliq):
    day = client.get("/papers/date/2026-08-19").content.decode()
    assert 'Submitted by <a href="/u/akhaliq"><strong>akhaliq</strong></a>' in day
    assert 'Submitted by <a href="/u/reader"><strong>reader</strong></a>' in day
    paper = client.get("/papers/2608.00003").content.decode()
    assert 'submitted by <a href="/u/akhaliq"><strong>akhaliq</strong></a> on Hugging Face' in paper


def test_a_name_no_address_can_hold_is_shown_without_a_link(client, akhaliq):
    submitted_by("2608.00009", "a/b")
    day = client.get("/papers/date/2026-08-19").content.decode()
    assert "Submitted by <strong>a/b</strong>" in day
    assert (
        "submitted by <strong>a/b</strong> on Hugging Face"
        in client.get("/papers/2608.00009").content.decode()
    )
