"""What every source produces: a paper as that source saw it.

A field left as None means "this source does not say", so it never erases what another source
knew. Every source hands its records to `dailypapers.sources.ingest.upsert`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields
from operator import attrgetter

from dailypapers.papers.authors import keyed_names


class RecordError(ValueError):
    """A record that cannot enter the catalogue; the message says why."""


@dataclass(frozen=True)
class ImportedStats:
    """Figures from another site, valid as of a moment; newer figures replace older ones."""

    site: str
    upvotes: int
    comments: int
    as_of: dt.datetime


@dataclass(frozen=True)
class ListingRecord:
    """The paper appeared in a daily feed on `day`.

    An imported site's item may also say when it was listed (`listed_at`), its own edited title,
    the paper's figures on that day, and more (`details`: see Listing.source_details)."""

    day: dt.date
    source: str = "import"
    submitter_name: str = ""
    submitter_fullname: str = ""
    submitted_at: dt.datetime | None = None
    listed_at: dt.datetime | None = None
    title: str = ""
    upvotes: int | None = None
    comments: int | None = None
    details: dict = field(default_factory=dict)


@dataclass
class PaperRecord:
    arxiv_id: str
    title: str | None = None
    abstract: str | None = None
    version: int | None = None
    authors: list[str] | None = None  # exactly the source's list: in order, repeated names kept
    # What the source adds to each name, position by position (Hugging Face: hidden, _id, user, ...);
    # None when it adds nothing.
    author_details: list[dict] | None = None
    categories: list[str] | None = None  # the primary category first
    published_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    arxiv_comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    github_repo: str | None = None  # as the source gives it (a submitter's or an imported link)
    github_stars: int | None = None
    project_page: str | None = None
    thumbnail: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None
    source_details: dict | None = None  # see Paper.source_details
    withdrawn: bool | None = None
    metadata_as_of: dt.datetime | None = None  # when the source observed this state of the paper
    # The feed day arXiv announced this paper as new (RSS "new", snapshot listing day); the
    # auto-listing rules may put it on that day's feed. Not a paper field.
    announced_on: dt.date | None = None
    stats: ImportedStats | None = None
    listings: list[ListingRecord] = field(default_factory=list)
    # keyed_authors(), once computed (an import's reader process computes it ahead of the writer).
    author_keys: dict[str, str] | None = field(default=None, repr=False, compare=False)

    # Paper fields copied as they are when the record knows them.
    SCALARS = (
        "title",
        "abstract",
        "version",
        "published_at",
        "updated_at",
        "arxiv_comments",
        "journal_ref",
        "doi",
        "license",
        "github_repo",
        "github_stars",
        "project_page",
        "thumbnail",
        "ai_summary",
        "ai_keywords",
        "source_details",
        "withdrawn",
        "metadata_as_of",
    )

    def __reduce__(self) -> tuple:
        # Bulk imports pass records between processes: positional state unpickles 3x faster
        # than the generic dataclass route.
        return (PaperRecord, _record_state(self))

    def keyed_authors(self) -> dict[str, str]:
        """Matching key -> spelling of each distinct author, in order (for matching, not display)."""
        if self.author_keys is None:
            self.author_keys = keyed_names(self.authors or ())
        return self.author_keys

    def author_list(self) -> list[tuple[str, dict]]:
        """(name, details) at each position of the author list, exactly as the source gives it."""
        names = self.authors or []
        details = self.author_details or [{}] * len(names)
        return list(zip(names, details, strict=True))

    def known_scalars(self) -> dict[str, object]:
        return {name: value for name in self.SCALARS if (value := getattr(self, name)) is not None}

    def merged_with(self, newer: PaperRecord) -> PaperRecord:
        """Two records of one paper in a batch: the newer one's knowledge wins, listings add up."""
        merged = PaperRecord(arxiv_id=self.arxiv_id, **self.known_scalars())
        for name, value in newer.known_scalars().items():
            setattr(merged, name, value)
        if newer.authors is not None:
            merged.authors, merged.author_details = newer.authors, newer.author_details
        else:
            merged.authors, merged.author_details = self.authors, self.author_details
        merged.author_keys = None
        merged.categories = newer.categories if newer.categories is not None else self.categories
        stats = [s for s in (self.stats, newer.stats) if s is not None]
        merged.stats = max(stats, key=lambda s: s.as_of) if stats else None
        merged.listings = [*self.listings, *newer.listings]
        return merged


_record_state = attrgetter(*(f.name for f in fields(PaperRecord)))


# What neither database can store the same way: C0 controls but tab, line feed and carriage return
# (PostgreSQL refuses NUL; SQLite keeps it), and lone surrogates (both refuse them).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _unstorable(match: re.Match) -> str:
    return "" if match.group() < "\x20" else "\ufffd"


def scrub(text: str) -> str:
    """Text as every database stores it alike: control characters (but tab, line feed and carriage
    return) removed, lone surrogates replaced by U+FFFD. The one cleaning every source applies."""
    # isprintable() is 30x faster than the search below, and true of most titles and names.
    if text.isprintable() or text.replace("\n", " ").replace("\r", " ").replace("\t", " ").isprintable():
        return text
    return _UNSTORABLE.sub(_unstorable, text)


def scrub_data(value: object) -> object:
    """`scrub` applied to every string (keys too) of decoded JSON-like data."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [scrub_data(item) for item in value]
    if isinstance(value, dict):
        return {scrub(k) if isinstance(k, str) else k: scrub_data(v) for k, v in value.items()}
    return value


def source_text(value: object) -> str | None:
    """A title or abstract as its source writes it, line breaks kept (pages normalise spacing for
    display; the API gives the text back as it came); only the blank ends of XML text are cut."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"expected text, got {type(value).__name__}")
    return scrub(value).strip()


def clean_text(value: object) -> str | None:
    """Collapse the line breaks and runs of spaces of a one-line field (a name, a journal reference)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"expected text, got {type(value).__name__}")
    value = scrub(value)
    if "\n" not in value and "  " not in value and "\t" not in value and "\r" not in value:
        return value.strip()  # already clean: the common case for long abstracts, and cheaper
    return " ".join(value.split())


def parse_time(value: object) -> dt.datetime | None:
    """An ISO 8601 timestamp ("2026-08-20T00:00:00.000Z"); naive times are taken as UTC."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise RecordError(f"expected a timestamp, got {type(value).__name__}")
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise RecordError(f"not a timestamp: {value[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
