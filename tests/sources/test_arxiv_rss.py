"""arXiv RSS listings: a recorded full day, the empty and error feeds, and `sync` into the catalogue."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dailypapers.papers.models import Paper
from dailypapers.sources import arxiv_rss, arxiv_text
from dailypapers.sources.arxiv_api import FeedError
from dailypapers.sources.fetching import Fetcher, SourceError
from tests.support.replay import FIXTURES, Reply
from tests.support.served import free_port
from tests.support.shared import need

RSS = FIXTURES / "arxiv-rss"
CATEGORIES = ["cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.RO", "stat.ML"]
FEED_PATH = "/rss/cs.AI+cs.CL+cs.CV+cs.LG+cs.RO+stat.ML"
ANNOUNCED = dt.datetime(2024, 11, 28, 5, 0, tzinfo=dt.UTC)  # "Thu, 28 Nov 2024 00:00:00 -0500"


def fixture(name: str) -> bytes:
    path = RSS / name
    need(path.is_file(), f"the recorded arXiv RSS feed is not at {path}")
    return path.read_bytes()


@pytest.fixture(scope="module")
def full_day() -> arxiv_rss.RssFeed:
    return arxiv_rss.parse_feed(fixture("rss_mock_feed.xml"), "https://rss.arxiv.org/rss/all")


def by_id(feed: arxiv_rss.RssFeed, arxiv_id: str) -> arxiv_rss.Announcement:
    return next(a for a in feed.items if a.record.arxiv_id == arxiv_id)


def wanted_in_xml(categories: list[str]) -> int:
    """Items of the recorded day in these categories or archives, counted straight from the XML."""
    root = ET.fromstring(fixture("rss_mock_feed.xml"))
    return sum(
        any(c.text == w or c.text.startswith(w + ".") for c in item.findall("category") for w in categories)
        for item in root.iter("item")
    )


@pytest.fixture
def rss(replay_server, settings):
    settings.SEARCH_SEMANTIC = False  # sync indexes the day's hundreds of papers: keywords suffice here
    settings.ARXIV_RSS_URL = replay_server.url + "/rss/"
    return replay_server


def serve(server, name: str, path: str = FEED_PATH) -> None:
    body = fixture(name)
    server.route(path, lambda request: Reply(body, 200, {"Content-Type": "application/rss+xml"}))


def test_full_day_has_every_item_with_announce_types_and_day(full_day):
    assert len(full_day.items) == 1504 and full_day.problems == []
    assert Counter(a.announce_type for a in full_day.items) == {"new": 926, "replace": 569, "cross": 9}
    assert full_day.announced_at == ANNOUNCED
    assert full_day.day == dt.date(2024, 11, 28)
    # Only papers first announced that day (new, or a first version newly cross-listed) carry the day.
    for item in full_day.items:
        first_cross = item.announce_type == "cross" and item.record.version == 1
        expected = dt.date(2024, 11, 28) if item.announce_type == "new" or first_cross else None
        assert item.record.announced_on == expected, item
        assert item.record.metadata_as_of == ANNOUNCED


def test_known_new_paper_matches_the_xml(full_day):
    item = by_id(full_day, "2411.18231")
    record = item.record
    assert item.announce_type == "new"
    assert record.version == 1
    assert record.title == "Machine learning-based classification for Single Photon Space Debris Light Curves"
    assert record.abstract.startswith("The growing number of man-made debris in Earth's orbit poses a threat")
    assert record.abstract.endswith("with automated extracted features than other methods.")
    assert "Announce Type" not in record.abstract
    assert record.authors == [
        "Nadine M. Trummer",
        "Amit Reza",
        "Michael A. Steindorfer",
        "Christiane Helling",
    ]
    assert record.categories == ["astro-ph.IM", "cs.LG"]  # the feed lists the primary first
    assert record.doi == "10.1016/j.actaastro.2024.10.066"
    assert record.journal_ref == "Acta Astronautica, Volume 226, Part 1, 2025, Pages 542-554"
    assert record.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert record.withdrawn is None  # the feed cannot tell "not withdrawn"
    assert record.announced_on == dt.date(2024, 11, 28)


def test_replacement_with_affiliations_and_an_old_four_digit_id(full_day):
    item = by_id(full_day, "2409.13694")
    assert item.announce_type == "replace"
    assert (item.record.version, item.record.announced_on) == (2, None)
    assert item.record.categories == ["cs.CL", "cs.AI", "cs.IR"]
    # Affiliations in parentheses hold commas of their own; they are not authors.
    assert item.record.authors == [
        "Shuo Yu",
        "Mingyue Cheng",
        "Jiqian Yang",
        "Jie Ouyang",
        "Yucong Luo",
        "Chenyi Lei",
        "Qi Liu",
        "Enhong Chen",
    ]
    old = by_id(full_day, "1401.3665")  # guid oai:arXiv.org:1401.3665v4
    assert (old.announce_type, old.record.version, old.record.authors) == ("replace", 4, ["Peter Keevash"])


def test_cross_list_keeps_every_category_primary_first(full_day):
    item = by_id(full_day, "2411.16552")
    assert item.announce_type == "cross"
    assert item.record.categories == ["stat.AP", "cs.LG", "econ.EM", "stat.ME", "stat.ML"]
    assert item.record.announced_on == dt.date(2024, 11, 28)


def test_every_item_has_authors_and_no_name_keeps_an_affiliation_or_separator(full_day):
    assert all(a.record.authors for a in full_day.items)
    names = [n for a in full_day.items for n in a.record.authors]
    assert not [n for n in names if "(" in n or ")" in n or "," in n or n.startswith("and ")]


@pytest.mark.parametrize(
    ("creator", "names"),
    [
        ("Jun Cui", ["Jun Cui"]),
        ("Ada Lovelace, Alan Turing and Grace Hopper", ["Ada Lovelace", "Alan Turing", "Grace Hopper"]),
        ("Ada Lovelace, Alan Turing, and Grace Hopper", ["Ada Lovelace", "Alan Turing", "Grace Hopper"]),
        ("Ada Lovelace and Alan Turing", ["Ada Lovelace", "Alan Turing"]),
        ("Anand Rao (Univ. A and B, City), Sandy Land", ["Anand Rao", "Sandy Land"]),
        ("", []),
    ],
)
def test_split_authors(creator, names):
    assert arxiv_text.split_authors(creator) == names


def test_empty_feed_yields_no_items_and_no_error():
    feed = arxiv_rss.parse_feed(fixture("empty_rss_mock_feed.xml"), "https://rss.arxiv.org/rss/test")
    assert (feed.items, feed.problems, feed.day) == ([], [], dt.date(2024, 11, 28))


def test_error_feed_is_a_source_error_naming_the_url():
    with pytest.raises(FeedError) as caught:
        arxiv_rss.parse_feed(fixture("error_rss_mock_feed.xml"), "https://rss.arxiv.org/rss/astroph")
    assert isinstance(caught.value, SourceError)
    message = str(caught.value)
    assert message.startswith("https://rss.arxiv.org/rss/astroph: ")
    assert "Bad archive 'astroph'" in message


def test_truncated_feed_is_a_source_error_naming_the_url():
    truncated = fixture("rss_mock_feed.xml")[:100_000]
    with pytest.raises(
        FeedError, match=r"^https://rss\.arxiv\.org/rss/cs: the answer is not well-formed XML"
    ):
        arxiv_rss.parse_feed(truncated, "https://rss.arxiv.org/rss/cs")


def test_withdrawal_notice_in_the_abstract_is_seen():
    xml = fixture("empty_rss_mock_feed.xml").replace(
        b"</skipDays>",
        b"""</skipDays><item><title>A result</title>
        <description>arXiv:2411.00001v2 Announce Type: replace
Abstract: This paper has been withdrawn by the authors due to an error in Lemma 2.</description>
        <guid isPermaLink="false">oai:arXiv.org:2411.00001v2</guid><category>cs.LG</category>
        <arxiv:announce_type>replace</arxiv:announce_type><dc:creator>A One</dc:creator></item>""",
    )
    (item,) = arxiv_rss.parse_feed(xml, "u").items
    assert (item.record.withdrawn, item.record.version, item.announce_type) == (True, 2, "replace")


@pytest.mark.django_db
def test_sync_fills_the_catalogue_and_rerun_changes_nothing(rss, fetcher):
    serve(rss, "rss_mock_feed.xml")
    lines: list[str] = []
    expected = wanted_in_xml(CATEGORIES)
    assert expected == 539  # of 1,504: the others are in no configured category

    result = arxiv_rss.sync(fetcher, CATEGORIES, report=lines.append)

    assert (result.new, result.updated, result.listings_new) == (expected, 0, 0)
    assert Paper.objects.count() == expected
    assert [r.path for r in rss.requests] == [FEED_PATH]
    assert rss.requests[0].headers["user-agent"].startswith("dailypapers/")
    assert len(lines) == 1 and lines[0].startswith("arXiv RSS 2024-11-28: 1504 items, 539 in cs.AI cs.CL")

    paper = Paper.objects.get(arxiv_id="2411.18231")
    assert paper.title == "Machine learning-based classification for Single Photon Space Debris Light Curves"
    assert [a.author.name for a in paper.authorships.all()] == [
        "Nadine M. Trummer",
        "Amit Reza",
        "Michael A. Steindorfer",
        "Christiane Helling",
    ]
    assert (paper.version, paper.doi, paper.primary_category_id) == (
        1,
        "10.1016/j.actaastro.2024.10.066",
        "astro-ph.IM",
    )
    assert paper.metadata_as_of == ANNOUNCED
    assert not paper.listings.exists()  # announcing is not listing: the listing rules decide that
    cross = Paper.objects.get(arxiv_id="2411.16552")
    assert cross.primary_category_id == "stat.AP"
    assert set(cross.categories.values_list("code", flat=True)) == {
        "stat.AP",
        "cs.LG",
        "econ.EM",
        "stat.ME",
        "stat.ML",
    }
    assert Paper.objects.get(arxiv_id="2409.13694").version == 2
    assert not Paper.objects.filter(arxiv_id="1401.3665").exists()  # math.CO only

    again = arxiv_rss.sync(fetcher, CATEGORIES, report=lines.append)
    assert (again.new, again.updated, again.unchanged, again.listings_new) == (0, 0, expected, 0)


@pytest.mark.django_db
def test_sync_of_a_whole_archive_keeps_its_subject_classes(rss, fetcher):
    serve(rss, "rss_mock_feed.xml", path="/rss/cs")
    result = arxiv_rss.sync(fetcher, ["cs"], report=lambda line: None)
    assert result.new == wanted_in_xml(["cs"]) == Paper.objects.count()
    assert Paper.objects.filter(arxiv_id="2411.17758").exists()  # cs.GT, cs.CR


@pytest.mark.django_db
def test_sync_of_an_empty_day_writes_nothing(rss, fetcher):
    serve(rss, "empty_rss_mock_feed.xml")
    lines: list[str] = []
    result = arxiv_rss.sync(fetcher, CATEGORIES, report=lines.append)
    assert (result.new, result.updated, result.unchanged) == (0, 0, 0)
    assert lines == [
        "arXiv RSS 2024-11-28: 0 items, 0 in cs.AI cs.CL cs.CV cs.LG cs.RO stat.ML (nothing announced)"
    ]
    assert not Paper.objects.exists()


def test_sync_of_the_error_feed_fails_naming_the_url(rss, fetcher):
    serve(rss, "error_rss_mock_feed.xml", path="/rss/astroph")
    with pytest.raises(FeedError, match=rf"^{rss.url}/rss/astroph: arXiv refused the feed: Bad archive"):
        arxiv_rss.sync(fetcher, ["astroph"], report=lambda line: None)


def test_sync_fails_on_an_http_error(rss, fetcher):
    # No route for these categories: the replay server answers 404, which is not worth retrying.
    with pytest.raises(FeedError, match=rf"^{rss.url}/rss/cs\.AI: HTTP 404$"):
        arxiv_rss.sync(fetcher, ["cs.AI"], report=lambda line: None)
    assert len(rss.requests) == 1


@pytest.mark.django_db
def test_sync_waits_out_a_503_then_reads_the_feed(rss, settings):
    settings.ARXIV_DELAY = 0
    body = fixture("rss_mock_feed.xml")
    answers = [Reply(b"busy", 503, {"Retry-After": "5", "Content-Type": "text/plain"})]
    rss.route(FEED_PATH, lambda request: answers.pop(0) if answers else Reply(body))
    sleeps: list[float] = []
    fetcher = Fetcher(sleep=sleeps.append)
    try:
        result = arxiv_rss.sync(fetcher, CATEGORIES, report=lambda line: None)
    finally:
        fetcher.close()
    assert sleeps == [5.0]  # Retry-After honoured
    assert len(rss.requests) == 2 and result.new == 539


def test_sync_transport_failure_is_a_source_error(settings):
    port = free_port()
    settings.ARXIV_RSS_URL = f"http://127.0.0.1:{port}/rss/"  # nothing listens there now
    fetcher = Fetcher(delay=0, retries=1, sleep=lambda seconds: None)
    try:
        with pytest.raises(SourceError) as caught:
            arxiv_rss.sync(fetcher, ["cs.AI"], report=lambda line: None)
    finally:
        fetcher.close()
    message = str(caught.value)
    assert message.startswith(f"http://127.0.0.1:{port}/rss/cs.AI: ConnectError")
    assert message.endswith("gave up after 2 attempts")


@pytest.mark.django_db
def test_sync_command_runs_the_rss_source(rss, settings):
    settings.ARXIV_DELAY = 0
    settings.CATEGORIES = CATEGORIES
    serve(rss, "rss_mock_feed.xml")
    out, err = StringIO(), StringIO()
    call_command("sync", "--source", "rss", stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("arXiv RSS 2024-11-28: 1504 items, 539 in cs.AI")
    assert lines[1].startswith("rss: 539 new, 0 updated, 0 unchanged, 0 feed listings")
    assert err.getvalue() == ""


@pytest.mark.django_db
def test_sync_command_reports_a_failing_feed(rss, settings):
    settings.ARXIV_DELAY = 0
    serve(rss, "error_rss_mock_feed.xml", path="/rss/astroph")
    err = StringIO()
    with pytest.raises(CommandError, match="1 source"):
        call_command("sync", "--source", "rss", "--categories", "astroph", stdout=StringIO(), stderr=err)
    assert err.getvalue().startswith(
        f"rss: failed: {rss.url}/rss/astroph: arXiv refused the feed: Bad archive"
    )


def test_an_old_paper_cross_listed_today_is_not_announced_as_new(full_day):
    item = by_id(full_day, "2202.06515")  # a 2022 paper, version 3, cross-listed that day
    assert (item.announce_type, item.record.version, item.record.announced_on) == ("cross", 3, None)
