"""arXiv's OAI-PMH interface: everything new or changed in the configured categories since the last harvest.

`sync` lists the records of each OAI set covering the categories (ListRecords, from the last completed
datestamp on) and, for every page, writes the page's papers and the harvest's checkpoint
(`HarvestState`) in one transaction. A process killed at any moment therefore resumes exactly where
the catalogue stands: from the stored resumptionToken, or, when arXiv no longer knows that token, from
the start of the same list again, which is harmless since `ingest.upsert` is idempotent.

The first harvest of a set starts ARXIV_OAI_FIRST_DAYS (2) days back (older papers load better from
a metadata snapshot than listed page by page). `until` is never sent, as arXiv asks of harvesters:
a list covers every change up to the moment it was served. The next list starts from the latest
datestamp seen (datestamps are days, and `from` is inclusive), so a record changed later that same
day is never missed.

XML is read with the standard library's ElementTree: its expat (2.4+) refuses entity-expansion bombs
and it never fetches external entities, which covers what defusedxml would add for this input.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from xml.parsers import expat

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.sources.arxiv_text import detex, is_withdrawn, split_authors
from dailypapers.sources.fetching import Fetcher, SourceError
from dailypapers.sources.ingest import UpsertResult, upsert
from dailypapers.sources.models import HarvestState
from dailypapers.sources.records import PaperRecord, RecordError, clean_text, parse_time, source_text
from dailypapers.sources.xmlpages import parse_skipping_bad_records

SOURCE = "oai"

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
ARXIV_RAW_NS = "http://arxiv.org/OAI/arXivRaw/"
ARXIV_NS = "http://arxiv.org/OAI/arXiv/"
_OAI = f"{{{OAI_NS}}}"
# Some recorded arXiv-format records omit their own xmlns and so inherit the OAI envelope's namespace.
_METADATA_NAMESPACES = {"arXivRaw": {ARXIV_RAW_NS, OAI_NS}, "arXiv": {ARXIV_NS, OAI_NS}}

# Archives with an OAI set of their own under "physics"; legacy archive names map to today's sets.
_PHYSICS_ARCHIVES = {
    "astro-ph",
    "cond-mat",
    "gr-qc",
    "hep-ex",
    "hep-lat",
    "hep-ph",
    "hep-th",
    "math-ph",
    "nlin",
    "nucl-ex",
    "nucl-th",
    "physics",
    "quant-ph",
}
_GROUPS = {"cs", "econ", "eess", "math", "q-bio", "q-fin", "stat"}
_LEGACY = {
    "cmp-lg": "cs",
    "alg-geom": "math",
    "dg-ga": "math",
    "funct-an": "math",
    "q-alg": "math",
    "adap-org": "physics:nlin",
    "chao-dyn": "physics:nlin",
    "comp-gas": "physics:nlin",
    "patt-sol": "physics:nlin",
    "solv-int": "physics:nlin",
    "mtrl-th": "physics:cond-mat",
    "supr-con": "physics:cond-mat",
    "acc-phys": "physics:physics",
    "ao-sci": "physics:physics",
    "atom-ph": "physics:physics",
    "bayes-an": "physics:physics",
    "chem-ph": "physics:physics",
    "plasm-ph": "physics:physics",
}


class OaiError(SourceError):
    """An OAI-PMH error response (other than noRecordsMatch): names the URL, the code and arXiv's words."""

    def __init__(self, url: str, code: str, message: str) -> None:
        self.url, self.code, self.oai_message = url, code, message
        super().__init__(f"{url}: OAI-PMH error {code}: {message}")


class BadResponse(SourceError):
    """An answer that is not an OAI-PMH document (malformed XML, another kind of document)."""


@dataclass(frozen=True)
class ResumptionToken:
    value: str  # empty on the last page of a list
    complete_list_size: int | None = None
    cursor: int | None = None
    expires_at: dt.datetime | None = None


@dataclass
class OaiRecord:
    paper: PaperRecord
    datestamp: dt.datetime  # the header's: when arXiv last changed this record
    sets: list[str] = field(default_factory=list)


@dataclass
class OaiPage:
    """One OAI-PMH response, read."""

    url: str
    response_date: dt.datetime | None = None
    records: list[OaiRecord] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # identifiers of records arXiv marks deleted
    problems: list[str] = field(default_factory=list)  # "record N (identifier): reason", each skipped
    datestamps: list[dt.datetime] = field(default_factory=list)  # of every record header, kept or not
    resumption: ResumptionToken | None = None
    no_records_match: bool = False  # arXiv's way of saying "nothing new"

    @property
    def papers(self) -> list[PaperRecord]:
        return [record.paper for record in self.records]

    @property
    def next_token(self) -> str | None:
        return self.resumption.value if self.resumption and self.resumption.value else None

    @property
    def max_datestamp(self) -> dt.datetime | None:
        return max(self.datestamps, default=None)


# Reading responses ----------------------------------------------------------------------------


def parse_response(body: bytes, url: str = "") -> OaiPage:
    """Read a ListRecords or GetRecord response.

    Raises OaiError for an OAI error (noRecordsMatch excepted: an empty page) and BadResponse for
    anything that is not an OAI-PMH document. A record that cannot be read lands in `problems`.
    """
    try:
        root, bad_records = parse_skipping_bad_records(body, "record")
    except ET.ParseError as exc:
        line, column = exc.position
        reason = expat.ErrorString(exc.code) if exc.code else str(exc)
        raise BadResponse(f"{url}: malformed XML at line {line}, column {column + 1}: {reason}") from None
    if root.tag != f"{_OAI}OAI-PMH":
        raise BadResponse(f"{url}: not an OAI-PMH response (its root element is {root.tag})")
    page = OaiPage(url=url, response_date=_optional_time(_text(root, f"{_OAI}responseDate")))
    errors = [(e.get("code", "").strip(), clean_text(e.text) or "") for e in root.findall(f"{_OAI}error")]
    real = [(code, message) for code, message in errors if code != "noRecordsMatch"]
    if real:
        code, message = real[0]
        raise OaiError(url, code or "unknown", "; ".join(m for _, m in real) or "(no message)")
    if errors:
        page.no_records_match = True
        return page
    body_element = root.find(f"{_OAI}ListRecords")
    if body_element is None:
        body_element = root.find(f"{_OAI}GetRecord")
    if body_element is None:
        raise BadResponse(f"{url}: an OAI-PMH response with neither ListRecords nor GetRecord in it")
    page.problems.extend(bad_records)
    for position, element in enumerate(body_element.findall(f"{_OAI}record"), start=1):
        _read_record(element, position, page)
    token = body_element.find(f"{_OAI}resumptionToken")
    if token is not None:
        page.resumption = ResumptionToken(
            value=(token.text or "").strip(),
            complete_list_size=_optional_int(token.get("completeListSize")),
            cursor=_optional_int(token.get("cursor")),
            expires_at=_optional_time(token.get("expirationDate")),
        )
    return page


def _read_record(element: ET.Element, position: int, page: OaiPage) -> None:
    header = element.find(f"{_OAI}header")
    identifier = _text(header, f"{_OAI}identifier") if header is not None else None
    where = f"record {position} ({identifier or 'no identifier'})"
    try:
        if header is None:
            raise RecordError("no header")
        datestamp = parse_time(_text(header, f"{_OAI}datestamp"))
        if datestamp is None:
            raise RecordError("no datestamp")
        page.datestamps.append(datestamp)
        if header.get("status") == "deleted":
            page.deleted.append(identifier or "")
            return
        sets = [s.text.strip() for s in header.findall(f"{_OAI}setSpec") if s.text]
        metadata = element.find(f"{_OAI}metadata")
        content = next(iter(metadata), None) if metadata is not None else None
        if content is None:
            raise RecordError("no metadata")
        paper = parse_metadata(content, identifier, datestamp)
    except RecordError as exc:
        page.problems.append(f"{where}: {exc}")
        return
    page.records.append(OaiRecord(paper=paper, datestamp=datestamp, sets=sets))


def parse_metadata(
    element: ET.Element, identifier: str | None = None, datestamp: dt.datetime | None = None
) -> PaperRecord:
    """An arXivRaw or arXiv metadata element as a PaperRecord; RecordError says what is wrong."""
    namespace, _, name = element.tag[1:].partition("}") if element.tag.startswith("{") else ("", "", "")
    if namespace not in _METADATA_NAMESPACES.get(name, ()):
        raise RecordError(f"metadata format {element.tag} is neither arXivRaw nor arXiv")
    ns = f"{{{namespace}}}"

    def text(tag: str) -> str | None:
        return clean_text(_text(element, ns + tag)) or None

    raw_id = text("id") or (identifier or "").removeprefix("oai:arXiv.org:")
    ref = parse_arxiv_id(raw_id)
    if ref is None:
        raise RecordError(f"{raw_id!r} is not an arXiv id"[:120])
    # Title and abstract as arXiv writes them, line breaks kept; pages show them on one line.
    title = source_text(_text(element, ns + "title")) or None
    if not title:
        raise RecordError(f"paper {ref.id} has no title")

    if name == "arXivRaw":
        version, published_at, updated_at = _versions(element, ns)
        authors = split_authors(text("authors") or "")
    else:
        version = None  # the arXiv format does not say which version it describes
        published_at = _day(text("created"))
        updated_at = _day(text("updated")) or published_at
        authors = _author_elements(element, ns)

    comments, abstract = text("comments"), source_text(_text(element, ns + "abstract")) or None
    doi = text("doi")
    return PaperRecord(
        arxiv_id=ref.id,
        version=version,
        title=title,
        abstract=abstract,
        authors=authors,
        categories=list(dict.fromkeys((text("categories") or "").split())) or None,
        published_at=published_at,
        updated_at=updated_at,
        arxiv_comments=comments,
        journal_ref=text("journal-ref"),
        # Several DOIs are separated by spaces, commas or semicolons; the catalogue keeps one: the first.
        doi=re.split(r"[\s,;]+", doi)[0][:200] if doi else None,
        license=text("license"),
        withdrawn=is_withdrawn(comments, abstract),
        metadata_as_of=datestamp,
    )


def _versions(element: ET.Element, ns: str) -> tuple[int | None, dt.datetime | None, dt.datetime | None]:
    """The highest version number, the date of v1 and the date of the latest version."""
    dated: list[tuple[int, dt.datetime | None]] = []
    for version in element.findall(ns + "version"):
        label = (version.get("version") or "").strip().lower()
        if not (label.startswith("v") and label[1:].isdigit()):
            raise RecordError(f"version {label[:20]!r} is not v<number>")
        dated.append((int(label[1:]), _rfc2822(_text(version, ns + "date"))))
    if not dated:
        return None, None, None
    dated.sort(key=lambda pair: pair[0])
    return dated[-1][0], dated[0][1], dated[-1][1]


def _author_elements(element: ET.Element, ns: str) -> list[str]:
    names = []
    for author in element.iterfind(f"{ns}authors/{ns}author"):
        parts = (clean_text(_text(author, ns + tag)) for tag in ("forenames", "keyname", "suffix"))
        name = detex(" ".join(p for p in parts if p))
        if any(ch.isalnum() for ch in name):  # a lone ":" keyname separates collaboration from members
            names.append(name)
    return names


def _text(parent: ET.Element | None, tag: str) -> str | None:
    child = parent.find(tag) if parent is not None else None
    return child.text if child is not None and child.text is not None else None


def _rfc2822(value: str | None) -> dt.datetime | None:
    """arXivRaw version dates: "Tue, 3 Apr 2007 22:04:11 GMT"."""
    if not value or not value.strip():
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        raise RecordError(f"not a date: {value.strip()[:40]!r}") from None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _day(value: str | None) -> dt.datetime | None:
    return parse_time(value)  # "2014-01-09" is midnight UTC


def _optional_time(value: str | None) -> dt.datetime | None:
    try:
        return parse_time(value)
    except RecordError:
        return None


def _optional_int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


# Talking to arXiv -----------------------------------------------------------------------------


def _base_url() -> str:
    return settings.ARXIV_OAI_URL


def fetch_page(fetcher: Fetcher, params: Mapping[str, str]) -> OaiPage:
    """One OAI-PMH request, read; SourceError (OaiError, BadResponse) when it fails."""
    response = fetcher.get(_base_url(), params)
    shown = str(response.url or httpx.URL(_base_url(), params=params))
    if response.status_code >= 400:
        try:
            parse_response(response.content, shown)  # an OAI error sent with an HTTP error status
        except OaiError:
            raise
        except SourceError:
            pass
        raise SourceError(f"{shown}: HTTP {response.status_code} {response.reason_phrase}".rstrip())
    return parse_response(response.content, shown)


def get_record(fetcher: Fetcher, arxiv_id: str) -> PaperRecord | None:
    """One paper's current metadata (GetRecord); None when arXiv has no such paper or deleted it."""
    ref = parse_arxiv_id(arxiv_id)
    if ref is None:
        raise ValueError(f"{arxiv_id!r} is not an arXiv id")
    params = {
        "verb": "GetRecord",
        "identifier": f"oai:arXiv.org:{ref.id}",
        "metadataPrefix": settings.ARXIV_OAI_FORMAT,
    }
    try:
        page = fetch_page(fetcher, params)
    except OaiError as exc:
        if exc.code == "idDoesNotExist":
            return None
        raise
    for record in page.records:
        if record.paper.arxiv_id == ref.id:
            return record.paper
    if page.problems:
        raise SourceError(f"{page.url}: {'; '.join(page.problems)}")
    return None


# Harvesting -----------------------------------------------------------------------------------


def oai_set(category: str) -> str | None:
    """The OAI set holding an arXiv category: cs.CL → "cs", hep-th → "physics:hep-th"."""
    archive = category.split(".", 1)[0]
    if archive in _GROUPS:
        return archive
    if archive in _PHYSICS_ARCHIVES:
        return f"physics:{archive}"
    return _LEGACY.get(archive)


def wanted(record_categories: Iterable[str] | None, categories: Iterable[str]) -> bool:
    """True when the record has one of the categories; an archive name ("hep-th", "math") covers all of it."""
    configured = set(categories)
    return any(code in configured or code.split(".", 1)[0] in configured for code in record_categories or ())


def sync(fetcher: Fetcher, categories: list[str], report: Callable[[str], object] = print) -> UpsertResult:
    """Harvest every OAI set covering `categories`; keep the records in at least one of them.

    One failing set is reported and recorded in its HarvestState, the others carry on; SourceError at
    the end names the sets that failed.
    """
    sets = sorted({s for s in map(oai_set, categories) if s})
    unknown = [c for c in categories if oai_set(c) is None]
    if unknown:
        report(f"oai: no OAI set for {', '.join(unknown)}; skipped")
    if not sets:
        raise SourceError(f"oai: none of the categories {' '.join(categories)} is in an OAI set")
    total = UpsertResult()
    failed = []
    for spec in sets:
        try:
            total.add(harvest(fetcher, spec, categories, report))
        except SourceError as exc:
            _record_failure(spec, exc)
            report(f"oai {spec}: failed: {exc}")
            failed.append(f"{spec} ({exc})")
    if failed:
        raise SourceError(f"OAI-PMH harvest failed for {'; '.join(failed)}")
    return total


def harvest(
    fetcher: Fetcher, spec: str, categories: list[str], report: Callable[[str], object] = print
) -> UpsertResult:
    """Harvest one OAI set to the end of its list, one transaction per page (see the module's doc)."""
    state, _ = HarvestState.objects.get_or_create(source=SOURCE, scope=spec)
    if state.next_token:
        report(f"oai {spec}: resuming the list from {state.list_from} after page {state.list_pages}")
    else:
        _start_list(state)
    total = UpsertResult()
    restarted = False
    while True:
        token = state.next_token
        if token:
            params = {"verb": "ListRecords", "resumptionToken": token}
        else:
            params = {
                "verb": "ListRecords",
                "metadataPrefix": settings.ARXIV_OAI_FORMAT,
                "set": spec,
            }
            params["from"] = state.list_from.isoformat()
        try:
            page = fetch_page(fetcher, params)
        except OaiError as exc:
            # Tokens expire; the list is read again from its start, which upsert makes harmless.
            if exc.code != "badResumptionToken" or not token or restarted:
                raise
            report(
                f"oai {spec}: arXiv no longer knows the resumptionToken; restarting from {state.list_from}"
            )
            restarted = True
            _start_list(state, state.list_from)
            continue
        if page.next_token and page.next_token == token:
            raise SourceError(f"{page.url}: arXiv answered with the same resumptionToken again")
        for problem in page.problems:
            report(f"oai {spec}: skipped {problem}")
        kept = [paper for paper in page.papers if wanted(paper.categories, categories)]
        with transaction.atomic():
            result = upsert(kept)
            _advance(state, page, kept_count=len(kept))
            state.save()
        total.add(result)
        if state.next_token:
            report(
                f"oai {spec}: page {state.list_pages}: {len(kept)} of {len(page.records)} records kept; "
                f"{state.list_records} of {state.list_size or '?'} read"
            )
        else:
            report(
                f"oai {spec}: list from {state.list_from} done, {state.list_records} records read in "
                f"{state.list_pages} pages; next harvest from {state.completed_until}"
            )
            return total


def _start_list(state: HarvestState, start: dt.date | None = None) -> None:
    if start is None:
        days = settings.ARXIV_OAI_FIRST_DAYS
        start = state.completed_until or (timezone.now().astimezone(dt.UTC).date() - dt.timedelta(days=days))
    state.list_from = start
    state.next_token = ""
    state.list_started_at = state.list_max_datestamp = state.list_size = state.list_cursor = None
    state.list_pages = state.list_records = 0
    state.save()


def _advance(state: HarvestState, page: OaiPage, kept_count: int) -> None:
    """The checkpoint after `page`: the next token, or the list completed."""
    if state.list_pages == 0:
        state.list_started_at = page.response_date
    state.list_pages += 1
    state.list_records += len(page.records) + len(page.problems) + len(page.deleted)
    state.records_kept += kept_count
    state.records_skipped += len(page.problems)
    if page.max_datestamp:
        day = page.max_datestamp.astimezone(dt.UTC).date()
        state.list_max_datestamp = max(filter(None, (state.list_max_datestamp, day)))
    resumption = page.resumption
    state.list_size = resumption.complete_list_size if resumption else state.list_size
    state.list_cursor = resumption.cursor if resumption else state.list_cursor
    state.next_token = page.next_token or ""
    if not state.next_token:
        # `from` is inclusive and datestamps are days: starting from the latest one seen catches what
        # changed later that day. Never before this list's own start (a server ignoring `from`).
        state.completed_until = max(filter(None, (state.list_from, state.list_max_datestamp)))
        state.lists_completed += 1
        state.last_completed_at = timezone.now()
    state.last_error = ""
    state.consecutive_failures = 0


def _record_failure(spec: str, exc: Exception) -> None:
    HarvestState.objects.filter(source=SOURCE, scope=spec).update(
        last_error=str(exc)[:2000],
        last_error_at=timezone.now(),
        consecutive_failures=F("consecutive_failures") + 1,
        updated_at=timezone.now(),
    )
