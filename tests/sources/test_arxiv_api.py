"""The arXiv API: id lookups, bad ids, searches paged through, and backfills, on recorded traffic."""

from __future__ import annotations

import datetime as dt

import pytest

from dailypapers.papers.models import Paper
from dailypapers.sources import arxiv_api, arxiv_text
from dailypapers.sources.arxiv_api import FeedError
from dailypapers.sources.fetching import Fetcher, SourceError
from tests.support.recorded_arxiv import ATOM_TYPE, body
from tests.support.replay import Reply
from tests.support.served import free_port


def asked(server, name: str = "id_list") -> list[str]:
    return [r.query.get(name, "") for r in server.requests]


def test_parse_feed_reads_every_field():
    records, total, start = arxiv_api.parse_feed(
        body("id_astro-ph_0601001_s0_m100_3150dca9dc76.json"), "https://export.arxiv.org/api/query"
    )
    assert (total, start) == (1, 0)
    (record,) = records
    assert (record.arxiv_id, record.version) == ("astro-ph/0601001", 1)
    assert record.title == (
        "Frequency of Hot Jupiters and Very Hot Jupiters from the OGLE-III Transit Surveys "
        "Toward the Galactic Bulge and Carina"
    )
    assert record.abstract.startswith(
        "We derive the frequencies of hot Jupiters (HJs)"
    )  # leading spaces gone
    assert "V_max<17.5" in record.abstract  # entities decoded
    assert record.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]
    assert record.categories == ["astro-ph"]
    assert record.published_at == record.updated_at == dt.datetime(2006, 1, 2, 14, 57, 58, tzinfo=dt.UTC)
    assert record.arxiv_comments.startswith("62 pages including 16 figures and 9 tables.")
    assert record.journal_ref == "ActaAstron.56:1-50,2006"
    assert record.doi is None and record.withdrawn is False
    # When arXiv answered: the observation time of this state of the paper.
    assert record.metadata_as_of == dt.datetime(2026, 5, 11, 23, 51, 23, tzinfo=dt.UTC)
    assert record.announced_on is None


def test_lookup_of_old_style_ids(api, fetcher):
    (gould,) = arxiv_api.lookup(fetcher, ["astro-ph/0601001"])
    (blaha,) = arxiv_api.lookup(fetcher, ["arXiv:quant-ph/0201082v1"])
    assert asked(api) == ["astro-ph/0601001", "quant-ph/0201082v1"]
    assert gould.arxiv_id == "astro-ph/0601001"
    assert (blaha.arxiv_id, blaha.version, blaha.categories) == ("quant-ph/0201082", 1, ["quant-ph", "cs.PL"])
    assert blaha.title.startswith("Quantum Computers and Quantum Computer Languages")
    assert blaha.authors == ["Stephen Blaha"] and blaha.arxiv_comments == "32 pages"


def test_lookup_skips_ids_arxiv_would_refuse_and_returns_those_that_exist(api, fetcher):
    records = arxiv_api.lookup(fetcher, ["abc", "0000.0000", "0808.05394", "1707.08567", "1707.08567"])
    # "abc" would fail the whole batch (HTTP 400); 0000.0000 and 0808.05394 (five digits in 2008)
    # cannot be arXiv ids. Only the real one is asked for, once.
    assert asked(api) == ["1707.08567"]
    assert asked(api, "max_results") == ["100"]
    (record,) = records
    assert (record.arxiv_id, record.version, record.categories) == ("1707.08567", 1, ["cs.IT"])
    assert len(record.authors) == 34
    assert "Dirk Wübben" in record.authors


def test_recorded_answers_to_bad_ids(api, fetcher):
    # A malformed id: arXiv answers HTTP 400 with one entry titled "Error".
    with pytest.raises(FeedError) as caught:
        arxiv_api.fetch_feed(fetcher, {"id_list": "abc", "start": "0", "max_results": "100"})
    message = str(caught.value)
    assert message.startswith(f"{api.url}/api/query?id_list=abc&start=0&max_results=100: HTTP 400")
    assert message.endswith(": incorrect id format for abc")
    # A well-formed id of no paper: an empty feed, no error.
    assert arxiv_api.fetch_feed(fetcher, {"id_list": "0000.0000", "start": "0", "max_results": "100"}) == (
        [],
        0,
        0,
    )
    # With a real id beside it, the missing one is simply left out of the answer.
    records, total, _ = arxiv_api.fetch_feed(
        fetcher, {"id_list": "0808.05394,1707.08567", "start": "0", "max_results": "100"}
    )
    assert [r.arxiv_id for r in records] == ["1707.08567"] and total == 1


def test_error_entry_is_an_error_even_in_a_200_answer():
    with pytest.raises(
        FeedError, match=r"^https://x/api/query: arXiv refused the query: incorrect id format for abc$"
    ):
        arxiv_api.parse_feed(body("id_abc_s0_m100_b79c8dcf6bc3.json"), "https://x/api/query")


def test_malformed_answer_is_an_error_naming_the_url():
    truncated = body("id_1605.08386_s0_m100_199195aa31ad.json")[:700]
    with pytest.raises(FeedError, match=r"^https://x/api/query: the answer is not well-formed XML"):
        arxiv_api.parse_feed(truncated, "https://x/api/query")


def test_fetch_paper(api, fetcher):
    paper = arxiv_api.fetch_paper(fetcher, "https://arxiv.org/abs/2104.12255v1")
    assert (paper.arxiv_id, paper.version, paper.title) == ("2104.12255", 1, "0")  # a title of "0" is a title
    assert paper.categories == ["cs.CR"] and paper.arxiv_comments is None
    assert arxiv_api.fetch_paper(fetcher, "1605.08386").categories == ["math.CO", "math.ST"]
    assert arxiv_api.fetch_paper(fetcher, "not an id") is None
    assert arxiv_api.fetch_paper(fetcher, "0000.0000") is None
    assert asked(api) == ["2104.12255v1", "1605.08386"]  # nothing asked for the last two


def test_lookup_asks_for_at_most_100_ids_a_request(replay_server, settings, fetcher):
    settings.ARXIV_API_URL = replay_server.url + "/api/query"
    empty = body("id_0000.0000_s0_m100_8b51d9633a68.json")  # arXiv's answer when no id exists
    replay_server.route("/api/query", lambda request: Reply(empty, 200, ATOM_TYPE))
    ids = [f"2411.{n:05d}" for n in range(1, 251)]
    assert arxiv_api.lookup(fetcher, ids) == []
    batches = [q.split(",") for q in asked(replay_server)]
    assert [len(b) for b in batches] == [100, 100, 50]
    assert sum(batches, []) == ids
    assert set(asked(replay_server, "max_results")) == {"100"}


def test_search_pages_through_the_recorded_query(api, fetcher):
    first, total = arxiv_api.search(fetcher, "testing", 0, 10)
    second, _ = arxiv_api.search(fetcher, "testing", 10, 10)
    wide, _ = arxiv_api.search(fetcher, "testing", 0, 15)
    shifted, _ = arxiv_api.search(fetcher, "testing", 5, 10)
    assert total == 214881
    assert (len(first), len(second), len(wide)) == (10, 10, 15)
    ids = [r.arxiv_id for r in first + second]
    assert len(set(ids)) == 20
    assert [r.arxiv_id for r in wide] == ids[:15]
    assert [r.arxiv_id for r in shifted] == ids[5:15]
    assert asked(api, "start") == ["0", "10", "0", "5"]
    assert set(asked(api, "sortBy")) == {"relevance"}
    with pytest.raises(FeedError, match=r"HTTP 404$"):  # a page nobody recorded
        arxiv_api.search(fetcher, "testing", 60, 10)


@pytest.mark.django_db
def test_backfill_upserts_each_page_and_rerun_changes_nothing(api, fetcher):
    lines: list[str] = []
    result = arxiv_api.backfill(
        fetcher, "testing", 30, report=lines.append, page_size=10, sort_by="relevance"
    )
    assert (result.new, result.updated, result.listings_new) == (30, 0, 0)
    assert Paper.objects.count() == 30
    assert asked(api, "start") == ["0", "10", "20"] and set(asked(api, "max_results")) == {"10"}
    assert lines == ["arXiv API 'testing': 30 papers of 214881 matching, in 3 pages"]

    page, _ = arxiv_api.search(fetcher, "testing", 0, 10)
    for record in page:
        paper = Paper.objects.get(arxiv_id=record.arxiv_id)
        assert (paper.title, paper.version, paper.doi, paper.arxiv_comments) == (
            record.title,
            record.version,
            record.doi or "",
            record.arxiv_comments or "",
        )
        assert paper.authorships.count() == len(dict.fromkeys(record.authors))
        assert paper.primary_category_id == record.categories[0]

    again = arxiv_api.backfill(fetcher, "testing", 30, report=lines.append, page_size=10, sort_by="relevance")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 30)


@pytest.mark.django_db
def test_backfill_keeps_the_polite_delay_between_pages(api, settings):
    sleeps: list[float] = []
    fetcher = Fetcher(delay=1000, sleep=sleeps.append)  # a recorded sleep, never a real one
    try:
        arxiv_api.backfill(
            fetcher, "testing", 20, report=lambda line: None, page_size=10, sort_by="relevance"
        )
    finally:
        fetcher.close()
    assert len(sleeps) == 1 and sleeps[0] > 900  # before the second page only
    assert len(api.requests) == 2


def test_503_then_200_is_retried_after_the_wait_arxiv_asks_for(api, settings):
    handler = api.routes["/api/query"]
    busy = [Reply(b"Service Unavailable", 503, {"Retry-After": "7", "Content-Type": "text/plain"})]
    api.route("/api/query", lambda request: busy.pop(0) if busy else handler(request))
    sleeps: list[float] = []
    fetcher = Fetcher(delay=0, sleep=sleeps.append)
    try:
        record = arxiv_api.fetch_paper(fetcher, "1707.08567")
    finally:
        fetcher.close()
    assert record is not None and record.arxiv_id == "1707.08567"
    assert sleeps == [7.0] and len(api.requests) == 2


def test_transport_failure_is_a_source_error_naming_the_url(settings):
    port = free_port()
    settings.ARXIV_API_URL = f"http://127.0.0.1:{port}/api/query"  # nothing listens there now
    fetcher = Fetcher(delay=0, retries=2, sleep=lambda seconds: None)
    try:
        with pytest.raises(SourceError) as caught:
            arxiv_api.lookup(fetcher, ["1707.08567"])
    finally:
        fetcher.close()
    message = str(caught.value)
    assert message.startswith(
        f"http://127.0.0.1:{port}/api/query?id_list=1707.08567&start=0&max_results=100: ConnectError"
    )
    assert message.endswith("gave up after 3 attempts")


@pytest.mark.parametrize(
    ("comment", "abstract", "withdrawn"),
    [
        ("This paper has been withdrawn by the author due to a crucial error in eq. 3", None, True),
        ("Withdrawn", None, True),
        ("The paper is withdrawn: superseded by arXiv:2101.00001", None, True),
        ("This submission has been withdrawn by arXiv administrators", "An abstract.", True),
        (None, "This paper has been withdrawn because the proof of Lemma 2 is wrong.", True),
        (None, "Withdrawn.", True),
        ("12 pages, 3 figures", "We study drugs that were withdrawn from the market.", False),
        (None, "Rofecoxib has been withdrawn from the market; we model why.", False),
        (None, None, False),
    ],
)
def test_withdrawal_is_read_from_the_comment_or_the_opening_of_the_abstract(comment, abstract, withdrawn):
    assert arxiv_text.is_withdrawn(comment, abstract) is withdrawn


@pytest.mark.django_db
def test_lookup_and_backfill_commands(api, settings):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.ARXIV_DELAY = 0
    out, err = StringIO(), StringIO()
    call_command("arxiv", "lookup", "https://arxiv.org/abs/1707.08567", "abc", stdout=out, stderr=err)
    assert "Papers: 1 new, 0 updated" in out.getvalue()
    assert err.getvalue().splitlines() == ["abc: not an arXiv id"]
    assert Paper.objects.filter(arxiv_id="1707.08567").exists()

    out = StringIO()
    call_command("arxiv", "backfill", "testing", "--limit", "15", "--sort", "relevance", stdout=out)
    assert "papers of" in out.getvalue() and "Papers: " in out.getvalue()

    api.route("/api/query", lambda request: Reply(b"gone", 500, {"Content-Type": "text/plain"}))
    settings.SOURCE_RETRIES = 0
    with pytest.raises(CommandError, match="HTTP 500"):
        call_command("arxiv", "lookup", "1707.08567", stdout=StringIO(), stderr=StringIO())
