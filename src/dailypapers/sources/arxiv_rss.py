"""arXiv's RSS listing feeds (rss.arxiv.org/rss/cs.AI+cs.CL): the day's announcements, the fast path.

One feed per announcement day holds every paper announced in the categories asked for, each with
`arxiv:announce_type`:
- new: first announced today, in its primary category;
- cross: first listed today in one of these categories as a cross-list (its primary is elsewhere);
- replace, replace-cross: a new version of a paper announced before.

new, and cross of a first version, get `announced_on`, the feed day: arXiv's own listing of a
category shows both among that day's new papers. A cross-list of a later version is an old paper
(a 2022 paper cross-listed today, say) and, like replacements, gets none: the auto-listing rules
must not put old papers on today's feed. Every record's `metadata_as_of` is the announcement time.

Categories come primary first: in every multi-category item of the recorded full day (849 of
1,504) the categories after the first are in alphabetical order and the first often is not, which is
arXiv's primary-first convention.

`parse_feed` only reads; `sync` fetches, keeps the items in the configured categories and upserts.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from django.conf import settings

from dailypapers.papers.arxiv_ids import ArxivRef, parse_arxiv_id
from dailypapers.papers.periods import feed_day
from dailypapers.sources.arxiv_api import FeedError, read_xml
from dailypapers.sources.arxiv_text import category_codes, first_doi, is_withdrawn, split_authors
from dailypapers.sources.fetching import Fetcher
from dailypapers.sources.ingest import UpsertResult, upsert
from dailypapers.sources.records import PaperRecord, RecordError, clean_text, source_text

log = logging.getLogger("dailypapers.sources")

NS = {"arxiv": "http://arxiv.org/schemas/atom", "dc": "http://purl.org/dc/elements/1.1/"}
ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")

# "arXiv:2411.17700v1 Announce Type: new \nAbstract: This study ..."
_DESCRIPTION = re.compile(
    r"^\s*arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:)?\s*(?P<abstract>.*)$",
    re.DOTALL,
)
_OAI_PREFIX = "oai:arXiv.org:"
# ", " between authors, also ", and " and " and " before the last one.
_AUTHOR_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


@dataclass(frozen=True)
class Announcement:
    """One feed item: the paper as announced, and how (new, cross, replace, replace-cross)."""

    announce_type: str
    record: PaperRecord


@dataclass
class RssFeed:
    url: str
    announced_at: dt.datetime | None  # the channel's pubDate (else lastBuildDate)
    items: list[Announcement] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "item N: reason" for each item skipped

    @property
    def day(self) -> dt.date | None:
        return feed_day(self.announced_at) if self.announced_at else None


def feed_url(categories: Sequence[str]) -> str:
    """The listing of these categories (or whole archives, "cs"), joined with "+" as arXiv wants."""
    if not categories:
        raise ValueError("no categories to ask the arXiv RSS feed for")
    return settings.ARXIV_RSS_URL.rstrip("/") + "/" + "+".join(quote(c, safe="") for c in categories)


def _rfc822(value: str | None) -> dt.datetime | None:
    if not value or not value.strip():
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _item_ref(item: ET.Element, described_id: str | None) -> ArxivRef | None:
    guid = (item.findtext("guid") or "").strip()
    if guid.startswith(_OAI_PREFIX):
        guid = guid[len(_OAI_PREFIX) :]
    # The guid and the description carry the version; the link does not, so it comes last.
    for candidate in (guid, described_id, item.findtext("link")):
        ref = parse_arxiv_id(candidate) if candidate else None
        if ref is not None:
            return ref
    return None


def parse_item(item: ET.Element, announced_at: dt.datetime | None) -> Announcement:
    """One <item> as an Announcement; RecordError says what is wrong with it."""
    description = item.findtext("description") or ""
    described = _DESCRIPTION.match(description)
    ref = _item_ref(item, described.group("id") if described else None)
    if ref is None:
        raise RecordError(f"no arXiv id in guid {item.findtext('guid')!r}"[:120])
    # Title and abstract as arXiv writes them, line breaks kept; pages show them on one line.
    title = source_text(item.findtext("title"))
    if not title:
        raise RecordError(f"paper {ref.id} has no title")
    announce_type = clean_text(item.findtext("arxiv:announce_type", None, NS)) or (
        described.group("type") if described else ""
    )
    abstract = source_text(described.group("abstract") if described else description) or None
    announced_at = _rfc822(item.findtext("pubDate")) or announced_at
    rights = clean_text(item.findtext("dc:rights", None, NS))
    record = PaperRecord(
        arxiv_id=ref.id,
        version=ref.version,
        title=title,
        abstract=abstract,
        authors=split_authors(item.findtext("dc:creator", None, NS)),
        categories=category_codes(c.text for c in item.findall("category")) or None,
        journal_ref=clean_text(item.findtext("arxiv:journal_reference", None, NS)) or None,
        doi=first_doi(item.findtext("arxiv:DOI", None, NS)),
        license=rights if rights and len(rights) <= 200 else None,
        # The feed has no comment, where a withdrawal is usually noted: it can say "withdrawn"
        # (from the abstract) but never "not withdrawn".
        withdrawn=True if is_withdrawn(None, abstract) else None,
        metadata_as_of=announced_at,
        announced_on=feed_day(announced_at)
        if announced_at
        and (announce_type == "new" or (announce_type == "cross" and ref.version in (None, 1)))
        else None,
    )
    return Announcement(announce_type, record)


def parse_feed(xml_bytes: bytes, url: str) -> RssFeed:
    """Every readable item of one RSS answer. FeedError for arXiv's error feed or malformed XML.

    An empty channel (weekends, holidays, a quiet category) is no error: it has no items.
    """
    root, bad_items = read_xml(xml_bytes, url, record_tag="item")
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise FeedError(f"{url}: not an RSS feed (the root element is {root.tag})")
    title = clean_text(channel.findtext("title")) or ""
    if title.startswith("Feed error"):
        # arXiv answers an unknown archive or category with HTTP 200 and this channel.
        raise FeedError(f"{url}: arXiv refused the feed: {clean_text(channel.findtext('description'))}")
    announced_at = _rfc822(channel.findtext("pubDate")) or _rfc822(channel.findtext("lastBuildDate"))
    feed = RssFeed(url, announced_at)
    feed.problems.extend(bad_items)
    for position, item in enumerate(channel.findall("item"), start=1):
        try:
            feed.items.append(parse_item(item, announced_at))
        except RecordError as exc:
            feed.problems.append(f"item {position}: {exc}")
    return feed


def fetch(fetcher: Fetcher, categories: Sequence[str]) -> RssFeed:
    """Today's listing of these categories; SourceError when it cannot be had or read."""
    url = feed_url(categories)
    response = fetcher.get(url)
    if not response.is_success:
        raise FeedError(f"{url}: HTTP {response.status_code}")
    return parse_feed(response.content, url)


def in_categories(codes: Sequence[str] | None, wanted: Sequence[str]) -> bool:
    """True when one of the codes is a wanted category, or in a wanted archive ("cs" holds "cs.AI")."""
    return any(code == w or code.startswith(w + ".") for code in codes or () for w in wanted)


def sync(
    fetcher: Fetcher, categories: Sequence[str], report: Callable[[str], object] = print
) -> UpsertResult:
    """Upsert today's announcements in these categories, and report a one-line summary."""
    feed = fetch(fetcher, categories)
    for problem in feed.problems:
        log.warning("%s: %s skipped", feed.url, problem)
    # A feed of several categories holds exactly those, but an archive feed holds more: filter.
    kept = [a for a in feed.items if in_categories(a.record.categories, categories)]
    result = upsert(a.record for a in kept)
    counts = Counter(a.announce_type for a in kept)
    kinds = [t for t in ANNOUNCE_TYPES if counts[t]] + sorted(set(counts) - set(ANNOUNCE_TYPES))
    summary = ", ".join(f"{counts[t]} {t or 'untyped'}" for t in kinds) or "nothing announced"
    skipped = f"; {len(feed.problems)} unreadable items skipped" if feed.problems else ""
    report(
        f"arXiv RSS {feed.day or 'undated'}: {len(feed.items)} items, {len(kept)} in "
        f"{' '.join(categories)} ({summary}){skipped}"
    )
    return result
