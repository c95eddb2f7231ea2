"""The arXiv API (`export.arxiv.org/api/query`): papers by id, searches, and backfills.

`parse_feed` reads one Atom answer and touches nothing else; the functions below it fetch through
the shared polite `Fetcher` (one request every few seconds, Retry-After honoured, retries) and
hand the records to `ingest.upsert`. The small XML and withdrawal helpers here are shared with
`arxiv_rss`.

What arXiv answers when an id is bad (recorded in ../shared/fixtures/arxiv-api):
- a malformed id ("abc") fails the whole request: HTTP 400 and a single entry titled "Error"
  ("incorrect id format for abc"), so `lookup` never sends ids that `parse_arxiv_id` rejects;
- a well-formed id that does not exist ("0000.0000", "0808.05394") is simply left out of the answer
  (an empty feed, or the other ids' entries), so `lookup` returns only the ids that exist.
"""

from __future__ import annotations

import datetime as dt
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping

from django.conf import settings

from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.sources.arxiv_text import category_codes, first_doi, is_withdrawn
from dailypapers.sources.fetching import Fetcher, SourceError
from dailypapers.sources.ingest import UpsertResult, upsert
from dailypapers.sources.records import PaperRecord, RecordError, clean_text, parse_time, source_text
from dailypapers.sources.xmlpages import parse_skipping_bad_records

log = logging.getLogger("dailypapers.sources")

ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
NS = {"atom": ATOM, "arxiv": ARXIV, "opensearch": "http://a9.com/-/spec/opensearch/1.1/"}

# Ids per id_list request. arXiv documents no hard cap, but every id lengthens the URL and the
# answer; 100 a request is what its client libraries use and what arXiv serves without trouble.
BATCH = 100
# The API manual caps one request at 2000 entries; larger pages are cut down to it.
MAX_PAGE = 2000

# arXiv category codes ("cs.AI", "astro-ph.CO", "cond-mat.mes-hall", "math-ph"). Old API entries
# also carry ACM and MSC classes ("I.2.7", "68T05") as category terms: those are not categories.


class FeedError(SourceError):
    """arXiv answered, but with an error or something that is not a feed; the message names the URL."""


def read_xml(content: bytes, url: str, record_tag: str = "entry") -> tuple[ET.Element, list[str]]:
    """The root element of an answer, and a note on each record (`record_tag`) that was not
    well-formed XML and is left out (see xmlpages); FeedError when the page itself is not.

    The standard library parser is safe enough here: it never fetches external entities or DTDs,
    and the expat it ships with (2.4.1 and later) bounds entity expansion ("billion laughs"),
    so defusedxml would add a dependency without closing a hole.
    """
    try:
        return parse_skipping_bad_records(content, record_tag)
    except ET.ParseError as exc:
        raise FeedError(f"{url}: the answer is not well-formed XML ({exc})") from None


def _int(text: str | None, default: int) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        return default


def _error_entry(root: ET.Element) -> str | None:
    """arXiv's words when the answer is its error entry (id .../api/errors#..., title "Error")."""
    for entry in root.findall("atom:entry", NS):
        entry_id = entry.findtext("atom:id", "", NS)
        if "/api/errors" in entry_id or clean_text(entry.findtext("atom:title", "", NS)) == "Error":
            return clean_text(entry.findtext("atom:summary", "", NS)) or entry_id
    return None


def parse_feed(xml_bytes: bytes, url: str) -> tuple[list[PaperRecord], int, int]:
    """The papers of one API answer, with opensearch totalResults and startIndex.

    FeedError when the answer is arXiv's error entry or not an Atom feed. An entry that cannot be
    read (no id or no title: arXiv's partial answers) is logged and left out.
    """
    root, bad_entries = read_xml(xml_bytes, url)
    for problem in bad_entries:
        log.warning("%s: %s skipped", url, problem)
    if root.tag != f"{{{ATOM}}}feed":
        raise FeedError(f"{url}: not an Atom feed (the root element is {root.tag})")
    error = _error_entry(root)
    if error is not None:
        raise FeedError(f"{url}: arXiv refused the query: {error}")
    # When arXiv answered: the moment this state of each paper was observed.
    as_of = _time(root.findtext("atom:updated", None, NS))
    records = []
    for position, entry in enumerate(root.findall("atom:entry", NS), start=1):
        try:
            records.append(parse_entry(entry, as_of))
        except RecordError as exc:
            log.warning("%s: entry %d skipped: %s", url, position, exc)
    total = _int(root.findtext("opensearch:totalResults", None, NS), len(records))
    start = _int(root.findtext("opensearch:startIndex", None, NS), 0)
    return records, total, start


def _time(value: str | None) -> dt.datetime | None:
    try:
        return parse_time(value)
    except RecordError:
        return None


def parse_entry(entry: ET.Element, as_of: dt.datetime | None = None) -> PaperRecord:
    """One Atom entry as a PaperRecord; RecordError says what is missing."""
    raw_id = entry.findtext("atom:id", "", NS)
    ref = parse_arxiv_id(raw_id)
    if ref is None:
        raise RecordError(f"{raw_id[:80]!r} is not an arXiv id")
    # Title and abstract as arXiv writes them, line breaks kept; pages show them on one line.
    title = source_text(entry.findtext("atom:title", "", NS))
    if not title:
        raise RecordError(f"paper {ref.id} has no title")
    abstract = source_text(entry.findtext("atom:summary", "", NS)) or None
    comment = clean_text(entry.findtext("arxiv:comment", None, NS)) or None
    primary = entry.find("arxiv:primary_category", NS)
    categories = category_codes(
        [primary.get("term") if primary is not None else None]
        + [c.get("term") for c in entry.findall("atom:category", NS)]
    )
    updated = _time(entry.findtext("atom:updated", None, NS))
    return PaperRecord(
        arxiv_id=ref.id,
        version=ref.version,
        title=title,
        abstract=abstract,
        authors=[
            n for a in entry.findall("atom:author", NS) if (n := clean_text(a.findtext("atom:name", "", NS)))
        ],
        categories=categories or None,
        published_at=_time(entry.findtext("atom:published", None, NS)),
        updated_at=updated,
        arxiv_comments=comment,
        journal_ref=clean_text(entry.findtext("arxiv:journal_ref", None, NS)) or None,
        doi=first_doi(entry.findtext("arxiv:doi", None, NS)),
        # The API has no field for withdrawal: it shows in the comment or abstract.
        withdrawn=is_withdrawn(comment, abstract),
        metadata_as_of=as_of or updated,
    )


def fetch_feed(fetcher: Fetcher, params: Mapping[str, str]) -> tuple[list[PaperRecord], int, int]:
    """One API request: its papers, totalResults and startIndex. SourceError when it fails."""
    response = fetcher.get(settings.ARXIV_API_URL, params)
    url = str(response.request.url)
    if not response.is_success:
        # A refused query comes as HTTP 400 with arXiv's reason in an error entry: show the reason.
        try:
            reason = _error_entry(ET.fromstring(response.content))
        except ET.ParseError:
            reason = None
        raise FeedError(f"{url}: HTTP {response.status_code}" + (f": {reason}" if reason else ""))
    return parse_feed(response.content, url)


def lookup(fetcher: Fetcher, ids: Iterable[str]) -> list[PaperRecord]:
    """The papers with these ids (bare, versioned, or arXiv URLs) that exist, in arXiv's order.

    Ids are asked for in batches of at most BATCH (100) a request. Text that is not an arXiv id is
    logged and skipped without asking: arXiv would refuse the whole batch for it (HTTP 400).
    """
    wanted: list[str] = []
    for raw in ids:
        ref = parse_arxiv_id(raw)
        if ref is None:
            log.warning("not an arXiv id, not looked up: %r", raw[:80])
            continue
        wanted.append(ref.versioned)
    wanted = list(dict.fromkeys(wanted))
    records: list[PaperRecord] = []
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start : start + BATCH]
        # max_results must cover the batch: arXiv's default of 10 would cut an id_list short.
        found, _, _ = fetch_feed(
            fetcher, {"id_list": ",".join(batch), "start": "0", "max_results": str(BATCH)}
        )
        records.extend(found)
    return records


def fetch_paper(fetcher: Fetcher, arxiv_id: str) -> PaperRecord | None:
    """One paper (any form `parse_arxiv_id` reads); None when it is not an id or arXiv has no such paper."""
    ref = parse_arxiv_id(arxiv_id)
    if ref is None:
        return None
    return next((r for r in lookup(fetcher, [ref.versioned]) if r.arxiv_id == ref.id), None)


def search(
    fetcher: Fetcher,
    query: str,
    start: int = 0,
    max_results: int = 100,
    *,
    sort_by: str = "relevance",
    sort_order: str = "descending",
) -> tuple[list[PaperRecord], int]:
    """One page of an arXiv search (`search_query` syntax: "cat:cs.CL AND ti:agents") and the total.

    sort_by is arXiv's: relevance, lastUpdatedDate or submittedDate. max_results above MAX_PAGE
    (2000) is cut to it.
    """
    records, total, _ = fetch_feed(
        fetcher,
        {
            "search_query": query,
            "start": str(max(0, start)),
            "max_results": str(max(1, min(max_results, MAX_PAGE))),
            "sortBy": sort_by,
            "sortOrder": sort_order,
        },
    )
    return records, total


def backfill(
    fetcher: Fetcher,
    query: str,
    limit: int,
    report: Callable[[str], object] = print,
    *,
    page_size: int = 100,
    sort_by: str = "submittedDate",
) -> UpsertResult:
    """Upsert up to `limit` papers matching `query`, newest first by default, page by page.

    Each page is upserted on its own, so an interrupted backfill keeps what it fetched. The
    fetcher's polite delay spaces the pages. Papers seen on an earlier page are not counted again
    (new submissions shift a sorted result list while it is being paged through).
    """
    result = UpsertResult()
    seen: set[str] = set()
    start, total, pages = 0, 0, 0
    page_size = max(1, min(page_size, MAX_PAGE))
    while len(seen) < limit:
        size = min(page_size, limit - len(seen))
        records, total = search(fetcher, query, start, size, sort_by=sort_by)
        pages += 1
        fresh = [r for r in records if r.arxiv_id not in seen]
        seen.update(r.arxiv_id for r in fresh)
        result.add(upsert(fresh))
        start += size
        if not records or start >= total:
            break  # the end, or an empty page (which arXiv sometimes sends mid-way): stop rather than spin
    report(f"arXiv API {query!r}: {len(seen)} papers of {total} matching, in {pages} pages")
    return result
