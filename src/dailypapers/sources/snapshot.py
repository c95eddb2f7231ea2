"""Reading the Kaggle "arxiv-metadata-oai-snapshot" layout: one JSON object a line, plain or gzipped.

Streamed line by line, so the real 4.5 GB file imports in bounded memory.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import gc
import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.sources.arxiv_text import is_withdrawn, split_authors
from dailypapers.sources.records import PaperRecord, RecordError, clean_text, scrub_data, source_text


class SnapshotError(Exception):
    """The file cannot be read further (missing, not gzip, truncated); the message names it."""


@dataclass
class Problem:
    path: Path
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], start=1
    )
}


# Bare ids since 2015 (yymm.nnnnn), all plausible: what parse_arxiv_id would return unchanged.
_MODERN_ID = re.compile(r"(?:1[5-9]|[2-9]\d)(?:0[1-9]|1[0-2])\.\d{5}")


def _time(value: object) -> dt.datetime | None:
    """Version dates are RFC 2822 ("Wed, 01 Jul 2026 00:00:00 +0000"); update_date is ISO."""
    if not value or not isinstance(value, str):
        return None
    return _parse_time(value)


@functools.lru_cache(maxsize=65_536)  # the snapshot's dates repeat (days at midnight)
def _parse_time(value: str) -> dt.datetime:
    if len(value) == 10 and value[4] == "-":  # update_date: 2026-07-01
        try:
            return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
        except ValueError:
            pass
    parts = value.split()
    # The common case, by hand: the email module's parser is most of the cost of reading a line.
    if len(parts) == 6 and parts[5] in ("GMT", "+0000") and parts[2] in _MONTHS and len(parts[4]) == 8:
        try:
            hh, mm, ss = parts[4].split(":")
            return dt.datetime(
                int(parts[3]), _MONTHS[parts[2]], int(parts[1]), int(hh), int(mm), int(ss), tzinfo=dt.UTC
            )
        except ValueError:
            pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise RecordError(f"not a date: {value[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _authors(obj: dict) -> list[str]:
    """The paper's author list, every name in order, repeated names kept.

    Read from `authors`, arXiv's own author line (the arXivRaw one, so a paper reads the same from
    the snapshot as from OAI-PMH), not from `authors_parsed`: that is Kaggle's derivation of the
    line, and it gets some lines wrong ("Donald Johann Jr. and Fred Prior" as one author; "and Jian
    Xiao" for ", and Jian Xiao"; the ":" after a collaboration's name as an author).
    `authors_parsed` serves only when the line is missing."""
    raw = obj.get("authors")
    if isinstance(raw, str) and raw.strip():
        return split_authors(raw)
    parsed = obj.get("authors_parsed")
    names = []
    for parts in parsed if isinstance(parsed, list) else ():
        if isinstance(parts, list):
            last, first, suffix = (list(parts) + ["", "", ""])[:3]
            name = " ".join(p for p in (first, last, suffix) if p and isinstance(p, str))
            if any(ch.isalnum() for ch in name):
                names.append(name)
    return names


def parse_line(obj: object) -> PaperRecord:
    """One snapshot object as a PaperRecord; RecordError says what is wrong with it."""
    if not isinstance(obj, dict):
        raise RecordError(f"expected a JSON object, found {type(obj).__name__}")
    given = obj.get("id")
    if isinstance(given, str) and _MODERN_ID.fullmatch(given):
        arxiv_id, id_version = given, None  # the common case, without building an ArxivRef
    else:
        ref = parse_arxiv_id(given) if isinstance(given, str) else None
        if ref is None:
            raise RecordError(f"{str(given)[:60]!r} is not an arXiv id")
        arxiv_id, id_version = ref.id, ref.version
    # Title and abstract as arXiv writes them, line breaks kept; pages show them on one line.
    title = source_text(obj.get("title"))
    if not title:
        raise RecordError(f"paper {arxiv_id} has no title")
    versions = obj.get("versions") if isinstance(obj.get("versions"), list) else []
    numbers = [
        int(v["version"][1:])
        for v in versions
        if isinstance(v, dict) and str(v.get("version", ""))[1:].isdigit()
    ]
    first = _time(versions[0].get("created")) if versions and isinstance(versions[0], dict) else None
    last = first
    if len(versions) > 1 and isinstance(versions[-1], dict):
        last = _time(versions[-1].get("created"))
    categories = obj.get("categories")
    comments = clean_text(obj.get("comments"))
    abstract = source_text(obj.get("abstract"))
    updated = _time(obj.get("update_date"))
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=max(numbers) if numbers else id_version,
        title=title,
        abstract=abstract,
        authors=_authors(obj),
        categories=categories.split() if isinstance(categories, str) else None,
        published_at=first,
        updated_at=last or first,
        arxiv_comments=comments,
        journal_ref=clean_text(obj.get("journal-ref")),
        doi=clean_text(obj.get("doi")),
        license=clean_text(obj.get("license")),
        withdrawn=is_withdrawn(comments, abstract),
        metadata_as_of=updated or last,
        # The listing day of the first version: when arXiv announced the paper as new.
        announced_on=first.date() if first else None,
    )


@dataclass
class Batch:
    records: list[PaperRecord]
    problems: list[Problem]
    position: int  # bytes of the file (compressed, for .gz) consumed so far
    lines: list[int]  # the line of each record, to name one the database refuses


def _lines(raw: IO[bytes], gzipped: bool) -> IO[bytes]:
    # Bytes, decoded line by line: an invalid byte then costs its own line, not the rest of the file.
    # Reading through `raw` lets the progress bar follow the (compressed) bytes consumed.
    return gzip.open(raw, "rb") if gzipped else raw


# A JSON escape of a control character or a surrogate: only then can a decoded line hold text that
# needs scrubbing (raw controls are invalid JSON, raw surrogates invalid UTF-8). Cheaper than
# scrubbing every field of every line.
_ESCAPED_UNSTORABLE = re.compile(r"\\u(?:00[01]|[dD][89a-fA-F])")


def parse_raw_line(line: bytes) -> PaperRecord:
    """One line of the file as a PaperRecord; RecordError says what is wrong with it."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = f"byte 0x{line[exc.start]:02x} at column {exc.start + 1}"
        raise RecordError(f"not valid UTF-8: {bad}") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise RecordError("not readable JSON: nested too deeply") from None
    if "\\u" in text and _ESCAPED_UNSTORABLE.search(text):
        obj = scrub_data(obj)
    return parse_line(obj)


def read_batches(path: Path, size: int = 5000, first: int | None = None) -> Iterator[Batch]:
    """The file's records in batches (the first one of `first` records, when given); unreadable
    lines are reported in the batch's problems.

    Raises SnapshotError when the file itself breaks off (missing, not gzip, truncated); the
    batches yielded before that are whole and can be kept.
    """
    line_no = 0
    records: list[PaperRecord] = []
    lines: list[int] = []
    problems: list[Problem] = []
    limit = first or size
    try:
        with open(path, "rb") as raw, _lines(raw, gzipped=path.name.endswith(".gz")) as stream:
            for line_no, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    record = parse_raw_line(line)
                    record.keyed_authors()  # here, in the reader, rather than in the writer
                    records.append(record)
                    lines.append(line_no)
                except RecordError as exc:
                    problems.append(Problem(path, line_no, str(exc)))
                except Exception as exc:  # a line that trips a defect of ours still costs only itself
                    problems.append(Problem(path, line_no, f"unreadable: {type(exc).__name__}: {exc}"[:300]))
                if len(records) >= limit:
                    yield Batch(records, problems, raw.tell(), lines)
                    records, lines, problems, limit = [], [], [], size
            yield Batch(records, problems, raw.tell(), lines)
    except FileNotFoundError:
        raise SnapshotError(f"{path}: no such file") from None
    except (EOFError, OSError) as exc:
        raise SnapshotError(f"{path}: unreadable after line {line_no}: {exc or type(exc).__name__}") from None


def read_in_worker(paths: list[Path], size: int, queue) -> None:
    """Runs in a second process: parsing JSON is half the work of an import, and it runs beside
    the database writes on another core. Sends ("batch", path, Batch), ("error", path, message),
    ("done", path) for each file, then ("end",)."""
    gc.set_threshold(200_000, 50, 100)  # see bulk.fewer_gc_passes
    for number, path in enumerate(paths):
        try:
            # A small first batch: the writer, waiting for it, starts sooner.
            for batch in read_batches(path, size, first=min(size, 500) if number == 0 else None):
                queue.put(("batch", path, batch))
        except SnapshotError as exc:
            queue.put(("error", path, str(exc)))
        else:
            queue.put(("done", path))
    queue.put(("end",))
