"""Reading Hugging Face `/api/daily_papers` responses as they are found in the wild.

Besides the plain JSON array, this copes with arrays whose items are Python-repr strings (as some
scrapers saved them), with the array wrapped as `{"status", "date", "count", "data"}`, with a list
of such wrappers (the bundled demo snapshot), with bare paper objects, and with gzip.

Hugging Face's papers carry no arXiv categories. A paper object may add them, the primary category
first, as the arXiv snapshot writes them, `"categories": "cs.CL cs.AI"`, or as a list: the bundled demo
does, joined from the snapshot by tools/build_demo.py.
"""

from __future__ import annotations

import ast
import datetime as dt
import gzip
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.sources.records import (
    ImportedStats,
    ListingRecord,
    PaperRecord,
    RecordError,
    parse_time,
    scrub_data,
)

SITE = "huggingface"
_DAY_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
_CATEGORY = re.compile(r"[A-Za-z-]{2,20}(\.[A-Za-z-]{1,19})?")  # cs.CL, hep-th, q-bio.NC


class UnreadableFile(Exception):
    """A whole file that cannot be read; nothing from it is imported."""


@dataclass
class FileReading:
    path: Path
    records: list[PaperRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file, item N: reason" for each skipped record
    items: int = 0
    names: list[str] = field(default_factory=list)  # "file, item N" of each record, in order


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, and the .json / .json.gz files inside the folders named, in name order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.name.endswith((".json", ".json.gz"))))
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return found


def read_file(path: Path) -> FileReading:
    """Parse one file; raises UnreadableFile when it is not JSON or holds no list of papers.

    An item that cannot be read (an invalid UTF-8 byte in its text, nesting too deep for the
    parser, a bad field) is named in `problems` and skipped; the other items are kept."""
    try:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:
        raise UnreadableFile(f"{path}: cannot be read: {exc}") from None
    try:
        text, bad_bytes = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        # Invalid bytes become lone surrogates U+DC80..U+DCFF: the items holding one are skipped.
        text, bad_bytes = raw.decode("utf-8", "surrogateescape"), True
    too_deep = False
    try:
        try:
            data = json.loads(text)
        except RecursionError:
            data, too_deep = json.loads(_without_deep_values(text)), True
    except json.JSONDecodeError as exc:
        raise UnreadableFile(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    match = _DAY_IN_NAME.search(path.name)
    file_day = _parse_day(match.group(1)) if match else None
    reading = FileReading(path)
    groups = _groups(data, file_day, path)
    for group_day, items in groups:
        where = f"{path.name}, {group_day}" if len(groups) > 1 else path.name
        for position, item in enumerate(items, start=1):
            reading.items += 1
            try:
                if bad_bytes or too_deep:
                    _check_readable(item, bad_bytes, too_deep)
                reading.records.append(parse_item(scrub_data(item), group_day))
                reading.names.append(f"{where}, item {position}")
            except RecordError as exc:
                reading.problems.append(f"{where}, item {position}: {exc}")
    return reading


# Deeper JSON than this is no daily-papers item: the parser would overflow on it.
_MAX_DEPTH = 100
_TOO_DEEP = "\x00nested too deeply\x00"  # NULs: no text that survives scrub() can equal it
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _without_deep_values(text: str) -> str:
    """The JSON text with every value nested deeper than _MAX_DEPTH replaced by a marker string,
    so that the rest parses and only the items holding the marker are lost."""
    parts, depth, last, start = [], 0, 0, 0
    for token in _JSON_TOKEN.finditer(text):
        mark = token.group()[0]
        if mark == '"':
            continue
        if mark in "[{":
            depth += 1
            if depth == _MAX_DEPTH + 1:
                start = token.start()
        else:
            if depth == _MAX_DEPTH + 1:
                parts += [text[last:start], json.dumps(_TOO_DEEP)]
                last = token.end()
            depth -= 1
    parts.append(text[last:])
    return "".join(parts)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)


def _check_readable(item: object, bad_bytes: bool, too_deep: bool) -> None:
    for text in _strings(item):
        if too_deep and text == _TOO_DEEP:
            raise RecordError(f"nested deeper than {_MAX_DEPTH} levels")
        if bad_bytes and (found := _ESCAPED_BYTE.search(text)):
            byte = ord(found.group()) - 0xDC00
            raise RecordError(f"not valid UTF-8: byte 0x{byte:02x} in {text[: found.start()][-40:]!r}")


def _parse_day(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _groups(data: object, file_day: dt.date | None, path: Path) -> list[tuple[dt.date | None, list]]:
    def is_wrapper(obj: object) -> bool:
        return isinstance(obj, dict) and isinstance(obj.get("data"), list)

    if isinstance(data, list):
        if data and all(is_wrapper(x) for x in data):
            return [(_parse_day(w.get("date")) or file_day, w["data"]) for w in data]
        return [(file_day, data)]
    if is_wrapper(data):
        return [(_parse_day(data.get("date")) or file_day, data["data"])]
    if isinstance(data, dict) and ("paper" in data or "id" in data):
        return [(file_day, [data])]
    raise UnreadableFile(f"{path}: no list of papers in it (expected a JSON array, or an object with 'data')")


def _as_object(item: object) -> dict:
    if isinstance(item, str):
        # Some archives hold each item as the Python repr of the dict rather than as JSON.
        try:
            item = ast.literal_eval(item)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            try:
                item = json.loads(item)
            except (json.JSONDecodeError, RecursionError):
                raise RecordError(
                    "a string that is neither a JSON object nor a Python dict literal"
                ) from None
        item = scrub_data(item)  # decoded here, after read_file scrubbed the item's text
    if not isinstance(item, dict):
        raise RecordError(f"expected an object, found {type(item).__name__}")
    return item


def _url(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    value = "".join(value.split())  # a link has no spaces; some arrive broken over lines
    # Only web links: never javascript: or data: URLs, which would run in a reader's browser.
    if not re.match(r"https?://[^\s<>\"']+$", value, re.IGNORECASE) or len(value) > 500:
        return None
    return value


def _links_as_written(paper: dict) -> dict[str, str]:
    """Links whose source text has stray spaces or line breaks: the pages use the mended link, the
    API gives back the text as it came."""
    return {
        key: raw
        for key in ("githubRepo", "projectPage")
        if isinstance(raw := paper.get(key), str) and _url(raw) not in (None, raw)
    }


def _count(value: object, name: str) -> int:
    if value is None:
        return 0
    # Within the database's integer columns (and not NaN or infinite).
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 2**31:
        raise RecordError(f"{name} is not a count: {value!r}"[:120])
    return int(value)


def _categories(value: object, arxiv_id: str) -> list[str] | None:
    """The optional "categories" of a paper object (see the module's docstring); None when absent."""
    if value is None:
        return None
    codes = value.split() if isinstance(value, str) else value
    if not isinstance(codes, list) or not all(isinstance(c, str) and _CATEGORY.fullmatch(c) for c in codes):
        raise RecordError(f"paper {arxiv_id}: categories is not a list of arXiv categories"[:120])
    return list(dict.fromkeys(codes)) or None


# What an item and its paper may say beyond the fields the catalogue models, kept as they came and
# served back (see Paper.source_details and Listing.source_details). `isUserFollowing` is left out:
# it describes the viewer who fetched the file, not the submitter.
PAPER_DETAILS = ("organization", "mediaUrls", "githubRepoAddedBy", "ai_summary_model")
ITEM_DETAILS = ("organization", "submitterOrganization", "mediaUrls", "mediaUrl", "isAuthorParticipating")
AUTHOR_DETAILS = ("_id", "user", "status", "statusLastChangedAt", "hidden")
PER_VIEWER = ("isUserFollowing",)
_MAX_DETAIL_CHARS = 20_000


def _plain(value: object, depth: int = 0) -> bool:
    """JSON-shaped data (what a Python-repr item may hold need not be), nested no deeper than 6."""
    if value is None or isinstance(value, bool | int | float | str):
        return not isinstance(value, float) or value == value  # not NaN
    if depth >= 6:
        return False
    if isinstance(value, list):
        return all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    return False


def _details(source: dict, keys: tuple[str, ...]) -> dict:
    """The named keys of `source` that hold plain JSON of a sane size."""
    kept = {}
    for key in keys:
        value = source.get(key)
        if key in source and _plain(value) and len(json.dumps(value)) <= _MAX_DETAIL_CHARS:
            kept[key] = value
    return kept


def _user(value: object) -> dict | None:
    if not isinstance(value, dict) or not _plain(value):
        return None
    return {k: v for k, v in value.items() if k not in PER_VIEWER}


def _text(value: object, name: str, ref: str) -> str | None:
    """A text field exactly as Hugging Face gives it (line breaks and spacing kept)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"paper {ref}: {name} is not text")
    return value


def _author_list(value: object, ref: str) -> tuple[list[str], list[dict]]:
    """Every author, hidden ones too, in order and with repeated names, as this paper spells them."""
    if not isinstance(value, list):
        raise RecordError(f"paper {ref}: authors is not a list")
    names, details = [], []
    for author in value:
        name = author.get("name") if isinstance(author, dict) else author
        if not isinstance(name, str) or not name.strip():
            continue  # a nameless entry names nobody
        names.append(name[:300])
        details.append(_details(author, AUTHOR_DETAILS) if isinstance(author, dict) else {})
    return names, details


def parse_item(item: object, day: dt.date | None = None) -> PaperRecord:
    """One daily-papers item (or a bare paper object) as a PaperRecord; RecordError says what is wrong."""
    item = _as_object(item)
    paper = _as_object(item.get("paper", item))
    raw_id = paper.get("id")
    ref = parse_arxiv_id(raw_id) if isinstance(raw_id, str) else None
    if ref is None:
        raise RecordError(f"{raw_id!r} is not an arXiv id"[:120])
    title = _text(paper.get("title"), "title", ref.id) or _text(item.get("title"), "title", ref.id)
    if not title or not title.strip():
        raise RecordError(f"paper {ref.id} has no title")
    abstract = _text(paper.get("summary"), "summary", ref.id) or _text(item.get("summary"), "summary", ref.id)
    names, author_details = _author_list(paper.get("authors") or [], ref.id)

    keywords = paper.get("ai_keywords")
    if keywords is not None and not (
        isinstance(keywords, list) and all(isinstance(k, str) for k in keywords)
    ):
        raise RecordError(f"paper {ref.id}: ai_keywords is not a list of words")

    submitted_at = parse_time(paper.get("submittedOnDailyAt"))
    listed_at = parse_time(item.get("publishedAt")) if item is not paper else None
    listed_on = submitted_at.date() if submitted_at else day or _parse_day(item.get("publishedAt"))
    submitter = _user(item.get("submittedBy")) or _user(paper.get("submittedOnDailyBy")) or {}
    published_at = parse_time(paper.get("publishedAt"))
    as_of = submitted_at or (
        dt.datetime.combine(listed_on, dt.time(), tzinfo=dt.UTC) if listed_on else published_at
    )
    stars = paper.get("githubStars")
    upvotes = _count(paper.get("upvotes"), "upvotes")
    comments = _count(item.get("numComments"), "numComments")
    item_title = _text(item.get("title"), "title", ref.id) if item is not paper else None
    listing_details = _details(item, ITEM_DETAILS) if item is not paper else {}
    for key, owner in (("submittedBy", item), ("submittedOnDailyBy", paper)):
        if user := _user(owner.get(key)):
            listing_details[key] = user
    return PaperRecord(
        arxiv_id=ref.id,
        title=title,
        abstract=abstract or None,
        authors=names,
        author_details=author_details,
        categories=_categories(paper.get("categories"), ref.id),
        published_at=published_at,
        github_repo=_url(paper.get("githubRepo")),
        github_stars=_count(stars, "githubStars") if stars is not None else None,
        project_page=_url(paper.get("projectPage")),
        thumbnail=_url(item.get("thumbnail")),
        ai_summary=_text(paper.get("ai_summary"), "ai_summary", ref.id) or None,
        ai_keywords=keywords[:100] if keywords else None,
        source_details=_details(paper, PAPER_DETAILS) | _links_as_written(paper),
        metadata_as_of=as_of,
        stats=ImportedStats(site=SITE, upvotes=upvotes, comments=comments, as_of=as_of) if as_of else None,
        listings=[
            ListingRecord(
                day=listed_on,
                submitter_name=str(submitter.get("name") or submitter.get("user") or "")[:150],
                submitter_fullname=str(submitter.get("fullname") or "")[:300],
                submitted_at=submitted_at,
                listed_at=listed_at,
                # Only an editor's own title: the usual one is the paper's, on one line.
                title=item_title if item_title and item_title != " ".join(title.split()) else "",
                upvotes=upvotes,
                comments=comments,
                details=listing_details,
            )
        ]
        if listed_on
        else [],
    )
