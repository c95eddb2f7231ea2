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
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.sources.records import (
    ImportedStats,
    ListingRecord,
    PaperRecord,
    RecordError,
    clean_text,
    parse_time,
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
    """Parse one file; raises UnreadableFile when it is not JSON or holds no list of papers."""
    try:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"{path}: cannot be read: {exc}") from None
    try:
        data = json.loads(text)
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
                reading.records.append(parse_item(item, group_day))
            except RecordError as exc:
                reading.problems.append(f"{where}, item {position}: {exc}")
    return reading


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
            except json.JSONDecodeError:
                raise RecordError(
                    "a string that is neither a JSON object nor a Python dict literal"
                ) from None
    if not isinstance(item, dict):
        raise RecordError(f"expected an object, found {type(item).__name__}")
    return item


def _url(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    # Only web links: never javascript: or data: URLs, which would run in a reader's browser.
    if not re.match(r"https?://[^\s<>\"']+$", value, re.IGNORECASE) or len(value) > 500:
        return None
    return value


def _count(value: object, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
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


def parse_item(item: object, day: dt.date | None = None) -> PaperRecord:
    """One daily-papers item (or a bare paper object) as a PaperRecord; RecordError says what is wrong."""
    item = _as_object(item)
    paper = _as_object(item.get("paper", item))
    raw_id = paper.get("id")
    ref = parse_arxiv_id(raw_id) if isinstance(raw_id, str) else None
    if ref is None:
        raise RecordError(f"{raw_id!r} is not an arXiv id"[:120])
    title = clean_text(paper.get("title") or item.get("title"))
    if not title:
        raise RecordError(f"paper {ref.id} has no title")

    authors_raw = paper.get("authors") or []
    if not isinstance(authors_raw, list):
        raise RecordError(f"paper {ref.id}: authors is not a list")
    authors = [a for a in authors_raw if isinstance(a, dict) and not a.get("hidden")] or authors_raw
    names = [clean_text(a.get("name")) if isinstance(a, dict) else clean_text(a) for a in authors]

    keywords = paper.get("ai_keywords")
    if keywords is not None and not (
        isinstance(keywords, list) and all(isinstance(k, str) for k in keywords)
    ):
        raise RecordError(f"paper {ref.id}: ai_keywords is not a list of words")

    submitted_at = parse_time(paper.get("submittedOnDailyAt"))
    listed_on = submitted_at.date() if submitted_at else day or _parse_day(item.get("publishedAt"))
    submitter = item.get("submittedBy") or paper.get("submittedOnDailyBy") or {}
    if not isinstance(submitter, dict):
        submitter = {}
    published_at = parse_time(paper.get("publishedAt"))
    as_of = submitted_at or (
        dt.datetime.combine(listed_on, dt.time(), tzinfo=dt.UTC) if listed_on else published_at
    )
    stars = paper.get("githubStars")
    return PaperRecord(
        arxiv_id=ref.id,
        title=title,
        abstract=clean_text(paper.get("summary") or item.get("summary") or "") or None,
        authors=[n for n in names if n],
        categories=_categories(paper.get("categories"), ref.id),
        published_at=published_at,
        github_repo=_url(paper.get("githubRepo")),
        github_stars=_count(stars, "githubStars") if stars is not None else None,
        project_page=_url(paper.get("projectPage")),
        thumbnail=_url(item.get("thumbnail")),
        ai_summary=clean_text(paper.get("ai_summary")) or None,
        ai_keywords=[" ".join(k.split()) for k in keywords][:30] if keywords else None,
        metadata_as_of=as_of,
        stats=ImportedStats(
            site=SITE,
            upvotes=_count(paper.get("upvotes"), "upvotes"),
            comments=_count(item.get("numComments"), "numComments"),
            as_of=as_of,
        )
        if as_of
        else None,
        listings=[
            ListingRecord(
                day=listed_on,
                submitter_name=str(submitter.get("name") or submitter.get("user") or "")[:150],
                submitter_fullname=str(submitter.get("fullname") or "")[:300],
                submitted_at=submitted_at,
            )
        ]
        if listed_on
        else [],
    )
