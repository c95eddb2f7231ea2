"""RSS 2.0 and Atom feeds, parsed with feedparser: valid, the right items, the right links."""

from __future__ import annotations

import datetime as dt

import feedparser
import pytest

from dailypapers.papers.models import Listing, Paper
from tests.support.factories import add_paper, add_user

pytestmark = pytest.mark.django_db

D1, D2 = dt.date(2026, 8, 19), dt.date(2026, 8, 20)


@pytest.fixture
def papers():
    add_paper("2608.00001", "Older & Wiser", day=D1, votes=5, categories=["cs.LG"])
    add_paper("2608.00002", "Language <Models>", day=D2, votes=2, categories=["cs.CL"])
    add_paper("2608.00003", "Top Language", day=D2, votes=8, categories=["cs.CL", "cs.LG"])


def parse(client, url: str, fmt: str):
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    expected = "application/rss+xml" if fmt == "rss" else "application/atom+xml"
    assert response["Content-Type"].startswith(expected)
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == ("rss20" if fmt == "rss" else "atom10")
    return feed


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_daily_feed_is_the_latest_day_most_upvoted_first(client, papers, fmt):
    feed = parse(client, f"/feeds/daily.{fmt}", fmt)
    assert feed.feed.title == "Daily Papers: Thursday, August 20, 2026"
    assert feed.feed.link == "http://testserver/papers/date/2026-08-20"
    assert [e.title for e in feed.entries] == ["Top Language", "Language <Models>"]
    top = feed.entries[0]
    assert top.link == "http://testserver/papers/2608.00003"
    assert top.id == "http://testserver/papers/2608.00003"
    assert "Ada Lovelace, Alan Turing" in top.author
    assert {t.term for t in top.tags} == {"cs.CL", "cs.LG"}
    assert "8 upvotes" in top.summary and "Abstract of Top Language." in top.summary
    assert top.published_parsed[:3] == (2026, 8, 20)


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_a_given_day(client, papers, fmt):
    feed = parse(client, f"/feeds/daily/2026-08-19.{fmt}", fmt)
    assert [e.title for e in feed.entries] == ["Older & Wiser"]
    assert client.get(f"/feeds/daily/2026-02-30.{fmt}").status_code == 404


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_category_feed(client, papers, fmt):
    feed = parse(client, f"/feeds/category/cs.CL.{fmt}", fmt)
    assert [e.title for e in feed.entries] == ["Top Language", "Language <Models>"]
    assert "cs.CL" in feed.feed.title
    assert client.get(f"/feeds/category/no.such.{fmt}").status_code == 404


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_trending_feed(client, papers, fmt):
    today = dt.date.today()
    add_paper("2608.00009", "Fresh and Popular", day=today, votes=50, categories=["cs.AI"])
    add_paper("2608.00010", "Fresh", day=today, votes=1, categories=["cs.AI"])
    feed = parse(client, f"/feeds/trending.{fmt}", fmt)
    assert [e.title for e in feed.entries][:2] == ["Fresh and Popular", "Fresh"]
    assert "Older & Wiser" not in [e.title for e in feed.entries]  # outside the trending span


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_a_members_submissions(client, papers, fmt):
    ada = add_user("ada")
    Listing.objects.filter(paper__arxiv_id="2608.00001").update(submitted_by=ada, note="Read section 3.")
    feed = parse(client, f"/feeds/users/ada.{fmt}", fmt)
    assert [e.title for e in feed.entries] == ["Older & Wiser"]
    assert "Read section 3." in feed.entries[0].summary
    assert "submitted by ada" in feed.feed.title
    assert client.get(f"/feeds/users/nobody.{fmt}").status_code == 404


def test_feeds_are_open_to_other_sites(client, papers):
    assert client.get("/feeds/daily.rss")["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_trending_feed_of_a_site_whose_last_papers_are_old(client, papers, fmt):
    """The papers fixture's days are months past: trending is still the latest feed day's week."""
    feed = parse(client, f"/feeds/trending.{fmt}", fmt)
    assert {e.title for e in feed.entries} == {"Top Language", "Language <Models>", "Older & Wiser"}


def test_entries_are_dated_by_their_day_the_same_way(client, papers):
    """A feed day is a date: every entry of a day is dated its 00:00 UTC, whether the listing came with
    a moment (Hugging Face's submittedOnDailyAt) or with the day alone."""
    Listing.objects.filter(paper__arxiv_id="2608.00003").update(
        submitted_at=dt.datetime(2026, 8, 20, tzinfo=dt.UTC)
    )
    rss = client.get("/feeds/daily/2026-08-20.rss").content.decode()
    assert rss.count("<pubDate>Thu, 20 Aug 2026 00:00:00 +0000</pubDate>") == 2
    atom = client.get("/feeds/daily/2026-08-20.atom").content.decode()
    assert atom.count("<published>2026-08-20T00:00:00+00:00</published>") == 2


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_an_imported_submitters_feed_says_where_it_comes_from(client, papers, fmt):
    """Hugging Face's submitters are handles there, not members: their feed works and says so."""
    Listing.objects.filter(paper__arxiv_id__in=["2608.00001", "2608.00003"]).update(submitter_name="akhaliq")
    feed = parse(client, f"/feeds/users/akhaliq.{fmt}", fmt)
    assert [e.title for e in feed.entries] == ["Top Language", "Older & Wiser"]  # newest first
    assert feed.feed.title == "Daily Papers: papers submitted on Hugging Face by akhaliq (imported)"
    about = feed.feed.subtitle if fmt == "atom" else feed.feed.description
    assert "imported from that feed" in about and "not a member here" in about
    assert feed.feed.link == "http://testserver/u/akhaliq"
    # Any case, as the API's submitter= filter matches; hidden listings and papers never show.
    assert [e.title for e in parse(client, f"/feeds/users/AKHALIQ.{fmt}", fmt).entries] == [
        "Top Language",
        "Older & Wiser",
    ]
    Listing.objects.filter(paper__arxiv_id="2608.00003").update(hidden=True)
    assert [e.title for e in parse(client, f"/feeds/users/akhaliq.{fmt}", fmt).entries] == ["Older & Wiser"]
    Paper.objects.filter(arxiv_id="2608.00001").update(hidden=True)
    assert client.get(f"/feeds/users/akhaliq.{fmt}").status_code == 404


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_a_member_wins_the_feed_of_their_name(client, papers, fmt):
    Listing.objects.filter(paper__arxiv_id="2608.00001").update(submitter_name="akhaliq")
    akhaliq = add_user("akhaliq")
    Listing.objects.filter(paper__arxiv_id="2608.00002").update(submitted_by=akhaliq)
    feed = parse(client, f"/feeds/users/akhaliq.{fmt}", fmt)
    assert [e.title for e in feed.entries] == ["Language <Models>"]
    assert feed.feed.title == "Daily Papers: papers submitted by akhaliq"


@pytest.mark.parametrize(
    "name", ["a" * 151, "a" * 3000, "ak.haliq", "j%C3%BCrgen", "reader.", "%2E%2E", "a%25"]
)
def test_odd_user_feed_names_are_404(client, papers, name):
    for fmt in ("rss", "atom"):
        assert client.get(f"/feeds/users/{name}.{fmt}").status_code == 404


def test_imported_submitters_with_dots_and_accents_have_feeds(client, papers):
    Listing.objects.filter(paper__arxiv_id="2608.00002").update(submitter_name="jürgen.schmidt")
    feed = parse(client, "/feeds/users/J%C3%BCrgen.Schmidt.atom", "atom")
    assert [e.title for e in feed.entries] == ["Language <Models>"]


def test_wrapped_title_and_abstract_read_as_one_line_in_plain_text_and_exact_in_json(client):
    """arXiv wraps titles and abstracts; they are stored as written. Feeds, Markdown, e-mails and the
    page's <title> show one line, the JSON API gives the text back exactly."""
    from dailypapers.digests.compose import PeriodPapers
    from dailypapers.papers.models import Paper
    from dailypapers.papers.periods import Period

    title = "Relativistic quantum dynamics of vector bosons in an Aharonov-Bohm\n  potential"
    abstract = "We study bosons,\n  mainly on\nthe square lattice."
    add_paper("2608.00009", title, day=D2, votes=3, abstract=abstract)
    line = "Relativistic quantum dynamics of vector bosons in an Aharonov-Bohm potential"
    assert Paper.objects.get(arxiv_id="2608.00009").title == title  # stored as written

    for fmt in ("rss", "atom"):
        (entry,) = parse(client, f"/feeds/daily.{fmt}", fmt).entries
        assert entry.title == line
        assert "We study bosons, mainly on the square lattice." in entry.summary

    markdown = client.get("/papers/2608.00009.md").content.decode()
    assert markdown.startswith(f"# {line}\n")
    assert "We study bosons, mainly on the square lattice." in markdown

    page = client.get("/papers/2608.00009").content.decode()
    assert f"<title>{line} · " in page
    assert 'content="We study bosons, mainly on the square lattice."' in page

    text = PeriodPapers(Period.day(D2)).body(list(Paper.objects.filter(arxiv_id="2608.00009"))).papers_text
    assert f"1. {line}\n" in text and "We study bosons, mainly on the square lattice." in text

    data = client.get("/api/papers/2608.00009").json()
    assert (data["title"], data["summary"]) == (title, abstract)
    (item,) = client.get("/api/daily_papers?date=2026-08-20").json()
    assert item["paper"]["title"] == title and item["summary"] == abstract
    assert item["title"] == line  # the item's own title is Hugging Face's one-line display title
