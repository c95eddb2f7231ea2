"""arXiv OAI-PMH: reading recorded responses, harvesting page by page, and resuming after a real kill."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone

from dailypapers.papers.models import Author, Category, Paper
from dailypapers.sources.arxiv_text import is_withdrawn, split_authors
from dailypapers.sources.fetching import Fetcher, SourceError
from dailypapers.sources.models import HarvestState
from dailypapers.sources.oai import (
    BadResponse,
    OaiError,
    get_record,
    oai_set,
    parse_response,
    sync,
    wanted,
)
from tests.support.factories import catalogue
from tests.support.recorded_arxiv import (
    ALL_KEPT,
    OAI,
    PAGE_1_KEPT,
    RAW,
    TOKEN,
    TwoPages,
    error,
    page_1,
    page_2,
)
from tests.support.replay import Reply, Request
from tests.support.shared import need

ARXIV = OAI / "arXiv"
GETRECORD = OAI / "arXiv-getrecord"
UTC = dt.UTC

# Categories of records on both pages of the two-page list (TwoPages); they span three OAI sets.
CATEGORIES = ["nucl-th", "math-ph", "hep-ex"]
SETS = ["physics:hep-ex", "physics:math-ph", "physics:nucl-th"]


@pytest.fixture
def recorded() -> Path:
    need(OAI.is_dir(), f"the recorded OAI-PMH traffic is not at {OAI}")
    return OAI


@pytest.fixture
def oai(replay_server, settings, recorded):
    settings.ARXIV_OAI_URL = replay_server.url + "/oai"
    settings.ARXIV_DELAY = 0
    return replay_server


def fetcher(sleeps: list[float] | None = None) -> Fetcher:
    return Fetcher(delay=0, retries=3, sleep=(sleeps if sleeps is not None else []).append)


def started_at(day: dt.date) -> None:
    """Harvest states as after a harvest completed up to `day` (the recorded list's `from`)."""
    for spec in SETS:
        HarvestState.objects.create(source="oai", scope=spec, completed_until=day)


# Reading responses ------------------------------------------------------------------------------


def test_arxivraw_list_page(recorded):
    page = parse_response(page_1(), "http://x/oai")
    assert [r.paper.arxiv_id for r in page.records] == [
        "0704.0471",
        "0704.0716",
        "0704.0874",
        "0704.1109",
        "0704.1114",
        "0704.1586",
    ]
    assert page.problems == [] and page.deleted == [] and not page.no_records_match
    assert (page.next_token, page.resumption.cursor, page.resumption.complete_list_size) == (TOKEN, 0, 58011)
    assert page.response_date == dt.datetime(2015, 1, 6, 20, 49, 59, tzinfo=UTC)
    assert [r.datestamp.date() for r in page.records][:2] == [dt.date(2014, 11, 18), dt.date(2014, 12, 22)]
    assert page.max_datestamp == dt.datetime(2014, 12, 22, tzinfo=UTC)
    assert page.records[0].sets == ["physics:nucl-ex", "physics:nucl-th"]

    paper = page.records[1].paper
    assert paper.arxiv_id == "0704.0716" and paper.version == 4
    assert paper.title == "Limit distributions and scaling functions"
    assert paper.authors == ["Christoph Richard"]
    assert paper.categories == ["math-ph", "math.MP"]
    assert paper.published_at == dt.datetime(2007, 4, 5, 12, 45, 3, tzinfo=UTC)
    assert paper.updated_at == dt.datetime(2008, 11, 14, 9, 7, 25, tzinfo=UTC)
    assert paper.arxiv_comments == (
        "54 pages, 2 figures; v2 updated and slightly expanded; v3 changes in some proofs; "
        "v4 slightly expanded"
    )
    assert paper.journal_ref == (
        "Polygons, polyominoes and polycubes, 247-299, Lecture Notes in Phys., 775, Springer, Dordrecht, 2009"
    )
    assert paper.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert paper.doi is None
    assert paper.abstract.startswith("We discuss the asymptotic behaviour of models of lattice polygons,")
    assert "mainly on\nthe square lattice" in paper.abstract  # arXiv's line breaks kept
    assert paper.abstract == paper.abstract.strip()
    assert paper.withdrawn is False
    assert paper.metadata_as_of == dt.datetime(2014, 12, 22, tzinfo=UTC)

    first = page.records[0].paper
    assert first.authors == ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]  # "A, B, and C"
    assert first.version == 1 and first.published_at == first.updated_at
    assert first.doi == "10.1103/PhysRevC.76.024606"  # the first of the two DOIs given
    assert first.journal_ref == "Phys.Rev.C76:024606,2007; Erratum-ibid.C76:039902,2007"
    assert 'extremely " stiff " and " soft "\nform' in first.abstract  # as written, line break kept
    assert first.title == (
        "Density dependence of the symmetry energy and the nuclear equation of\n  "
        "state: A Dynamical and Statistical model perspective"
    )
    assert page.records[5].paper.authors == ["N.C. Summers", "F.M. Nunes"]


def test_arxivraw_get_record(recorded):
    page = parse_response((RAW / "GetRecordResponse.xml").read_bytes())
    assert page.resumption is None
    (record,) = page.records
    paper = record.paper
    assert (paper.arxiv_id, paper.version) == ("1302.2146", 2)
    assert paper.authors == ["Joshua Berger", "Maxim Perelstein", "Michael Saelim", "Philip Tanedo"]
    assert paper.categories == ["hep-ph", "hep-ex"]
    assert paper.published_at == dt.datetime(2013, 2, 8, 21, 0, 1, tzinfo=UTC)
    assert paper.updated_at == dt.datetime(2013, 4, 2, 1, 50, 8, tzinfo=UTC)
    assert paper.arxiv_comments == "18 pages, 6 figures; v2: References added"
    assert record.datestamp == dt.datetime(2013, 4, 3, tzinfo=UTC)


def test_arxiv_format_list_pages(recorded):
    hep_th = parse_response((ARXIV / "arxiv-physics-hep-th.xml").read_bytes())
    assert [r.paper.arxiv_id for r in hep_th.records] == ["1412.8323", "1507.07790", "1607.01710"]
    assert hep_th.resumption is None and hep_th.problems == []
    paper = hep_th.records[1].paper
    assert paper.authors == ["Luis B. Castro", "Edilberto O. Silva"]
    assert paper.version is None  # the arXiv format does not say
    assert paper.published_at == dt.datetime(2015, 7, 28, tzinfo=UTC)
    assert paper.updated_at == dt.datetime(2016, 3, 4, tzinfo=UTC)
    assert paper.categories == ["hep-th", "math-ph", "math.MP", "quant-ph"]
    assert paper.journal_ref == "J. Phys. A: Math. Theor. 51 (2018) 035201"
    assert paper.doi == "10.1088/1751-8121/aa9c53"
    # As written, line break and indentation kept (pages show it on one line).
    assert paper.title == "Relativistic quantum dynamics of vector bosons in an Aharonov-Bohm\n  potential"
    assert paper.metadata_as_of == dt.datetime(2017, 12, 14, tzinfo=UTC)
    assert hep_th.records[0].paper.license == "http://creativecommons.org/licenses/by/4.0/"
    assert hep_th.records[2].paper.authors == [
        "R. A. C. Correa",
        "D. M. Dantas",
        "P. H. R. S. Moraes",
        "A. de Souza Dutra",
        "C. A. S. Almeida",
    ]

    hep_ex = parse_response((ARXIV / "arxiv-physics-hep-ex.xml").read_bytes())
    assert [r.paper.arxiv_id for r in hep_ex.records] == ["1706.05371", "1706.09418", "1707.00874"]
    assert hep_ex.records[0].paper.categories == ["physics.ins-det", "hep-ex"]
    assert hep_ex.records[1].paper.authors[:3] == ["Daniel Dercks", "Herbi Dreiner", "Manuel E. Krauss"]
    assert hep_ex.records[2].paper.authors == ["Priyotosh Bandyopadhyay", "Eung Jin Chun", "Rusa Mandal"]

    (single,) = parse_response((ARXIV / "arxiv-single.xml").read_bytes()).records
    assert single.paper.arxiv_id == "1401.2122" and single.paper.authors == ["A. Sergyeyev"]
    assert single.paper.updated_at == dt.datetime(2017, 10, 23, tzinfo=UTC)
    assert single.sets == ["math", "physics:hep-th", "physics:math-ph", "physics:nlin"]


@pytest.mark.parametrize("number", range(11))
def test_each_recorded_arxiv_format_record(recorded, number):
    path = GETRECORD / f"sample_arxiv_record{number}.xml"
    text = path.read_text()
    expected_id = text.split('identifier="oai:arXiv.org:', 1)[1].split('"', 1)[0]
    page = parse_response(path.read_bytes())
    (record,) = page.records
    assert page.problems == []
    assert record.paper.arxiv_id == expected_id
    assert record.paper.title and record.paper.abstract and record.paper.authors
    assert record.paper.published_at is not None and record.paper.metadata_as_of is not None


def test_arxiv_format_authors_and_quirks(recorded):
    # No xmlns of its own on <arXiv>: it inherits the OAI namespace, and is read all the same.
    planck = parse_response((GETRECORD / "sample_arxiv_record0.xml").read_bytes()).records[0].paper
    assert planck.authors == ["Planck Collaboration", "Jieci Wang", "Zehua Tian", "Jiliang Jing", "Heng Fan"]
    assert planck.doi == "10.1103/PhysRevD.93.016005"  # of "a, b;c"
    assert planck.journal_ref == "Phys.Rev. D93 (2015) 016005"
    # A suffix, and a lone ":" keyname between the collaborations and their members, left out.
    bicep = parse_response((GETRECORD / "sample_arxiv_record4.xml").read_bytes()).records[0].paper
    assert bicep.authors[:4] == ["Keck Array", "BICEP2 Collaborations", "P. Ade", "Z. Ahmed"]
    assert "R. W. IV" in bicep.authors and ":" not in bicep.authors
    assert len(bicep.authors) == 65  # of 66 <author> elements
    assert bicep.abstract.endswith("tensor-to-scalar ratio of $r<1\\times10^{-4}$.")
    burigana = parse_response((GETRECORD / "sample_arxiv_record5.xml").read_bytes()).records[0].paper
    assert burigana.authors[0] == "Günter Burigana"  # affiliations are not names

    several = parse_response((GETRECORD / "sample_arxiv_record.xml").read_bytes())
    assert len(several.records) == 12 and several.problems == []
    assert several.records[-1].paper.arxiv_id == "1808.04927"


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("BadArgument", "badArgument", "illegal argument 'identifier'"),
        ("BadResumptionToken", "badResumptionToken", "resumptionToken supplied is illegal"),
        ("BadVerb", "badVerb", "Verb 'wah' not implemented"),
        ("IdDoesNotExist", "idDoesNotExist", "'oai:arXiv.org:0813.2274' has correct form"),
    ],
)
def test_error_responses_raise_naming_url_code_and_message(recorded, name, code, words):
    url = "https://oaipmh.arxiv.org/oai?verb=ListRecords"
    with pytest.raises(OaiError) as raised:
        parse_response((RAW / f"ErrorResponse{name}.xml").read_bytes(), url)
    assert isinstance(raised.value, SourceError)
    assert raised.value.code == code and words in raised.value.oai_message
    assert str(raised.value).startswith(f"{url}: OAI-PMH error {code}: ")


def test_no_records_match_is_nothing_new(recorded):
    page = parse_response((RAW / "ErrorResponseNoRecordsMatch.xml").read_bytes())
    assert page.no_records_match and page.records == [] and page.next_token is None


def test_malformed_xml_names_url_and_position(recorded):
    truncated = page_1()[:5000]
    with pytest.raises(BadResponse, match=r"^http://x/oai: malformed XML at line \d+, column \d+: "):
        parse_response(truncated, "http://x/oai")
    with pytest.raises(BadResponse, match="line 1, column 1: syntax error"):
        parse_response(b"Service Unavailable", "http://x/oai")
    with pytest.raises(BadResponse, match="not an OAI-PMH response"):
        parse_response(b"<html><body>Hi</body></html>", "http://x/oai")


def test_bad_and_deleted_records_are_skipped_and_the_rest_is_read(recorded):
    text = page_1().decode().replace("0704.1109", "not-an-id")
    deleted = (
        '<record><header status="deleted"><identifier>oai:arXiv.org:0704.0001</identifier>'
        "<datestamp>2014-12-30</datestamp><setSpec>physics:hep-ph</setSpec></header></record>\n"
    )
    text = text.replace("<resumptionToken", deleted + "<resumptionToken")
    page = parse_response(text.encode(), "http://x/oai")
    assert [r.paper.arxiv_id for r in page.records] == [
        "0704.0471",
        "0704.0716",
        "0704.0874",
        "0704.1114",
        "0704.1586",
    ]
    assert page.problems == ["record 4 (oai:arXiv.org:not-an-id): 'not-an-id' is not an arXiv id"]
    assert page.deleted == ["oai:arXiv.org:0704.0001"]
    assert page.max_datestamp == dt.datetime(2014, 12, 30, tzinfo=UTC)


def test_withdrawn_papers(recorded):
    text = (
        page_1()
        .decode()
        .replace(
            "5 pages, 4 figures, submitted to Phys. Rev. C", "This paper has been withdrawn by the author"
        )
    )
    papers = {r.paper.arxiv_id: r.paper for r in parse_response(text.encode()).records}
    assert papers["0704.1586"].withdrawn is True
    assert papers["0704.0471"].withdrawn is False
    assert is_withdrawn("Withdrawn due to an error in Lemma 2", None)
    assert is_withdrawn("withdrawn", None)
    assert is_withdrawn(None, "This article has been withdrawn by arXiv administrators.")
    assert is_withdrawn("The paper is withdrawn.", None)
    assert not is_withdrawn("v2: an erroneous claim of v1 is corrected", None)
    assert not is_withdrawn("12 pages; Section 4 has been removed", "We study withdrawn papers.")


def test_author_lines():
    assert split_authors("A. One (MIT), B. Two ((1) CERN, (2) DESY) and C. Three") == [
        "A. One",
        "B. Two",
        "C. Three",
    ]
    assert split_authors('John Smith, Jr., M. M\\"uller and J. {\\"O}zt{\\"u}rk') == [
        "John Smith Jr.",
        "M. Müller",
        "J. Öztürk",
    ]
    assert split_authors("S. \\v{S}koda, L. Ma\\l{}ecki and A. Nu\\~nez") == [
        "S. Škoda",
        "L. Małecki",
        "A. Nuñez",
    ]
    assert split_authors("Alexander Andersen and the ATLAS Collaboration") == [
        "Alexander Andersen",
        "the ATLAS Collaboration",
    ]


@pytest.mark.parametrize(
    ("category", "spec"),
    [
        ("cs.AI", "cs"),
        ("cs.CL", "cs"),
        ("stat.ML", "stat"),
        ("math.AG", "math"),
        ("math-ph", "physics:math-ph"),
        ("hep-th", "physics:hep-th"),
        ("astro-ph.CO", "physics:astro-ph"),
        ("cond-mat.str-el", "physics:cond-mat"),
        ("nlin.SI", "physics:nlin"),
        ("physics.ins-det", "physics:physics"),
        ("quant-ph", "physics:quant-ph"),
        ("eess.AS", "eess"),
        ("q-bio.NC", "q-bio"),
        ("econ.EM", "econ"),
        ("chao-dyn", "physics:nlin"),
        ("nonsense", None),
    ],
)
def test_oai_sets_of_categories(category, spec):
    assert oai_set(category) == spec


def test_records_are_wanted_for_any_configured_category():
    assert wanted(["hep-ph", "hep-ex"], ["hep-ex"])
    assert wanted(["math.AG"], ["math"])  # an archive covers its categories
    assert not wanted(["math.AG"], ["math.MP"])
    assert not wanted(None, ["cs.AI"])


# Fetching ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_get_record(oai):
    def answer(request: Request) -> Reply:
        identifier = request.query["identifier"].removeprefix("oai:arXiv.org:")
        if identifier == "1302.2146":
            return Reply((RAW / "GetRecordResponse.xml").read_bytes())
        if identifier == "1603.05976":
            return Reply((GETRECORD / "sample_arxiv_record4.xml").read_bytes())
        return error("IdDoesNotExist")

    oai.route("/oai", answer)
    paper = get_record(fetcher(), "arXiv:1302.2146v1")
    assert (paper.arxiv_id, paper.version, paper.title) == (
        "1302.2146",
        2,
        "The Same-Sign Dilepton Signature of RPV/MFV SUSY",
    )
    assert oai.requests[0].query == {
        "verb": "GetRecord",
        "identifier": "oai:arXiv.org:1302.2146",
        "metadataPrefix": "arXivRaw",
    }
    assert "mailto:" in oai.requests[0].headers["user-agent"]
    assert get_record(fetcher(), "1603.05976").authors[0] == "Keck Array"
    assert get_record(fetcher(), "2608.99999") is None  # answered idDoesNotExist
    with pytest.raises(ValueError, match="'0813.2274' is not an arXiv id"):  # no 13th month
        get_record(fetcher(), "0813.2274")


@pytest.mark.django_db
def test_503_with_retry_after_is_waited_out(oai):
    answers = [Reply(b"busy", 503, {"Content-Type": "text/plain", "Retry-After": "7"})]

    def answer(request: Request) -> Reply:
        return answers.pop() if answers else Reply((RAW / "GetRecordResponse.xml").read_bytes())

    oai.route("/oai", answer)
    sleeps: list[float] = []
    assert get_record(fetcher(sleeps), "1302.2146").arxiv_id == "1302.2146"
    assert sleeps == [7.0]  # arXiv's Retry-After, not our own backoff
    assert len(oai.requests) == 2


@pytest.mark.django_db
def test_http_errors_and_oai_errors_sent_with_an_http_status(oai):
    oai.route("/oai", lambda request: Reply(b"no such page", 404, {"Content-Type": "text/plain"}))
    with pytest.raises(
        SourceError, match=r"^http://127\.0\.0\.1:\d+/oai\?verb=GetRecord&.*: HTTP 404 Not Found$"
    ):
        get_record(fetcher(), "1302.2146")
    oai.route("/oai", lambda request: error("BadArgument", status=400))
    with pytest.raises(OaiError) as raised:
        get_record(fetcher(), "1302.2146")
    assert raised.value.code == "badArgument"


# Harvesting -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_two_page_harvest_lands_the_wanted_records_and_completes_the_list(oai):
    oai.route("/oai", TwoPages())
    started_at(dt.date(2014, 10, 1))
    lines: list[str] = []

    result = sync(fetcher(), CATEGORIES, report=lines.append)

    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == ALL_KEPT
    assert (result.new, result.listings_new) == (4, 0)  # the feed's listings come from announcements
    first = oai.requests[0].query
    assert first == {
        "verb": "ListRecords",
        "metadataPrefix": "arXivRaw",
        "set": SETS[0],
        "from": "2014-10-01",
    }
    assert oai.requests[1].query == {"verb": "ListRecords", "resumptionToken": TOKEN}
    assert [r.query.get("set") for r in oai.requests] == [SETS[0], None, SETS[1], None, SETS[2], None]

    paper = Paper.objects.get(arxiv_id="0704.0716")
    assert (paper.version, paper.primary_category_id, paper.withdrawn) == (4, "math-ph", False)
    assert paper.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert sorted(paper.categories.values_list("code", flat=True)) == ["math-ph", "math.MP"]
    assert paper.metadata_as_of == dt.datetime(2014, 12, 22, tzinfo=UTC)
    authors = Paper.objects.get(arxiv_id="0704.0471").authorships.order_by("position")
    assert [a.author.name for a in authors] == ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]
    assert Paper.objects.get(arxiv_id="1302.2146").version == 2

    for state in HarvestState.objects.all():
        assert state.scope in SETS and state.next_token == ""
        assert state.completed_until == dt.date(2014, 12, 22)  # the latest datestamp seen
        assert (state.list_from, state.list_pages, state.list_records) == (dt.date(2014, 10, 1), 2, 7)
        assert (state.lists_completed, state.records_kept, state.consecutive_failures) == (1, 4, 0)
        assert state.list_started_at == dt.datetime(2015, 1, 6, 20, 49, 59, tzinfo=UTC)
    assert (
        f"oai {SETS[0]}: list from 2014-10-01 done, 7 records read in 2 pages; next harvest from 2014-12-22"
        in lines
    )

    # The next harvest starts where this one ended, and changes nothing.
    before, count = catalogue(), len(oai.requests)
    again = sync(fetcher(), CATEGORIES, report=lines.append)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 12)
    assert oai.requests[count].query["from"] == "2014-12-22"
    assert catalogue() == before


@pytest.mark.django_db
def test_first_harvest_starts_two_days_back(oai):
    oai.route("/oai", lambda request: error("NoRecordsMatch"))
    days = {timezone.now().astimezone(UTC).date() - dt.timedelta(days=2)}
    result = sync(fetcher(), ["cs.AI", "cs.CL", "stat.ML"], report=lambda line: None)
    days.add(timezone.now().astimezone(UTC).date() - dt.timedelta(days=2))  # in case midnight passed
    assert (result.new, result.updated) == (0, 0)
    assert [r.query["set"] for r in oai.requests] == ["cs", "stat"]
    assert {r.query["from"] for r in oai.requests} <= {d.isoformat() for d in days}
    state = HarvestState.objects.get(scope="cs")
    # Nothing new: the next harvest starts from the same day.
    assert state.completed_until == state.list_from and state.completed_until in days
    assert state.lists_completed == 1 and state.next_token == ""


@pytest.mark.django_db
def test_expired_token_restarts_the_list_from_its_start(oai):
    oai.route("/oai", TwoPages())
    HarvestState.objects.create(
        source="oai", scope="physics:hep-ex", list_from=dt.date(2014, 10, 1), next_token="3"
    )
    lines: list[str] = []

    sync(fetcher(), ["hep-ex"], report=lines.append)

    assert [r.query for r in oai.requests] == [
        {"verb": "ListRecords", "resumptionToken": "3"},  # the stored token, which arXiv has forgotten
        {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "physics:hep-ex", "from": "2014-10-01"},
        {"verb": "ListRecords", "resumptionToken": TOKEN},
    ]
    assert (
        "oai physics:hep-ex: arXiv no longer knows the resumptionToken; restarting from 2014-10-01" in lines
    )
    assert list(Paper.objects.values_list("arxiv_id", flat=True)) == ["1302.2146"]
    state = HarvestState.objects.get()
    assert (state.next_token, state.completed_until, state.list_pages) == ("", dt.date(2014, 12, 22), 2)


@pytest.mark.django_db
def test_failure_after_a_committed_page_is_recorded_and_resumed_from(oai):
    answers = {"page 2": error("BadResumptionToken")}

    def answer(request: Request) -> Reply:
        if "resumptionToken" in request.query:
            return answers.get("page 2") or Reply(page_2())
        return Reply(page_1())

    oai.route("/oai", answer)
    HarvestState.objects.create(source="oai", scope="physics:hep-ex", completed_until=dt.date(2014, 10, 1))
    with pytest.raises(SourceError, match="failed for physics:hep-ex .*OAI-PMH error badResumptionToken"):
        sync(fetcher(), CATEGORIES[:1] + ["hep-ex"], report=lambda line: None)
    # Page 1 landed with its checkpoint; the list was restarted once, then given up.
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == ["0704.0471", "0704.1586"]
    state = HarvestState.objects.get(scope="physics:hep-ex")
    assert state.next_token == TOKEN and state.consecutive_failures == 1
    assert "badResumptionToken" in state.last_error and state.last_error_at is not None
    assert state.completed_until == dt.date(2014, 10, 1)
    # The other set carried on regardless and failed the same way.
    assert HarvestState.objects.get(scope="physics:nucl-th").consecutive_failures == 1

    del answers["page 2"]
    count = len(oai.requests)
    sync(fetcher(), CATEGORIES[:1] + ["hep-ex"], report=lambda line: None)
    assert oai.requests[count].query == {"verb": "ListRecords", "resumptionToken": TOKEN}
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == ["0704.0471", "0704.1586", "1302.2146"]
    state.refresh_from_db()
    assert (state.next_token, state.consecutive_failures, state.last_error) == ("", 0, "")


@pytest.mark.django_db
def test_malformed_page_writes_nothing(oai):
    oai.route("/oai", lambda request: Reply(page_1()[:5000]))
    with pytest.raises(
        SourceError, match=r"/oai\?verb=ListRecords&.*: malformed XML at line \d+, column \d+"
    ):
        sync(fetcher(), ["nucl-th"], report=lambda line: None)
    assert not Paper.objects.exists()
    state = HarvestState.objects.get()
    assert state.next_token == "" and state.list_pages == 0 and "malformed XML" in state.last_error


@pytest.mark.django_db
def test_http_error_is_recorded_and_counted(oai):
    oai.route("/oai", lambda request: Reply(b"forbidden", 403, {"Content-Type": "text/plain"}))
    for attempt in (1, 2):
        with pytest.raises(SourceError, match="HTTP 403 Forbidden"):
            sync(fetcher(), ["hep-ex"], report=lambda line: None)
        assert HarvestState.objects.get().consecutive_failures == attempt


@pytest.mark.django_db
def test_a_bad_record_is_reported_and_the_rest_of_the_page_lands(oai):
    text = page_1().decode().replace("0704.0471", "not-an-id")
    oai.route("/oai", lambda request: Reply(text) if "from" in request.query else Reply(page_2()))
    lines: list[str] = []
    sync(fetcher(), ["nucl-th", "math-ph"], report=lines.append)
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == ["0704.0716", "0704.1586"]
    assert (
        "oai physics:math-ph: skipped record 1 (oai:arXiv.org:not-an-id): 'not-an-id' is not an arXiv id"
        in lines
    )
    assert HarvestState.objects.get(scope="physics:math-ph").records_skipped == 1


def stop(process: subprocess.Popen) -> str:
    """Kill the process if it still runs; what it printed."""
    if process.poll() is None:
        process.kill()
    output, _ = process.communicate(timeout=60)
    return output


# The key property: a harvest killed at any moment resumes with no gap and no duplicate. ----------


@pytest.mark.django_db(transaction=True)
def test_killed_harvest_resumes_from_its_checkpoint(oai, command_env):
    handler = TwoPages(block=True)
    oai.route("/oai", handler)
    started_at(dt.date(2014, 10, 1))
    env = {**command_env, "DAILYPAPERS_ARXIV_OAI_URL": oai.url + "/oai"}
    command = [
        sys.executable,
        "-m",
        "dailypapers",
        "sync",
        "--source",
        "oai",
        "--categories",
        " ".join(CATEGORIES),
    ]

    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # The harvester asks for page 2 only once page 1 and its checkpoint are committed.
        deadline = time.monotonic() + 120
        while not handler.page_2_requested.wait(timeout=0.1):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the harvester never asked for page 2:\n{stop(process)}")
        first = HarvestState.objects.filter(scope=SETS[0])
        while not first.filter(next_token=TOKEN).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.filter(next_token=TOKEN, list_pages=1).exists()
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        stop(process)
    assert process.returncode == -signal.SIGKILL
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == PAGE_1_KEPT  # page 1, all of it

    handler.release.set()
    killed_at = len(oai.requests)
    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"oai {SETS[0]}: resuming the list from 2014-10-01 after page 1" in resumed.stdout
    assert "oai: 1 new, 0 updated, 8 unchanged, 0 feed listings" in resumed.stdout
    after_kill = [r.query for r in oai.requests[killed_at:]]
    assert after_kill[0] == {"verb": "ListRecords", "resumptionToken": TOKEN}
    assert len(after_kill) == 5 and [q.get("set") for q in after_kill[1::2]] == SETS[1:]
    resumed_catalogue = catalogue()
    for rows in resumed_catalogue.values():
        assert len(rows) == len({repr(row) for row in rows})  # no duplicate rows
    assert [row[0] for row in resumed_catalogue["papers"]] == ALL_KEPT
    states = HarvestState.objects.order_by("scope")
    assert [(s.scope, s.next_token, s.completed_until) for s in states] == [
        (spec, "", dt.date(2014, 12, 22)) for spec in SETS
    ]

    # The same pages harvested without interruption, in this process, into an emptied catalogue.
    Paper.objects.all().delete()
    Author.objects.all().delete()
    Category.objects.all().delete()
    HarvestState.objects.all().delete()
    started_at(dt.date(2014, 10, 1))
    sync(fetcher(), CATEGORIES, report=lambda line: None)
    assert catalogue() == resumed_catalogue


@pytest.mark.django_db
def test_admin_lists_harvest_states(admin_client):
    HarvestState.objects.create(
        source="oai", scope="cs", completed_until=dt.date(2026, 8, 20), next_token="x|1"
    )
    response = admin_client.get("/admin/sources/harveststate/")
    assert response.status_code == 200
    assert b"cs" in response.content and b"Aug. 20, 2026" in response.content
    assert admin_client.get("/admin/sources/harveststate/add/").status_code == 403
