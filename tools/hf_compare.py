"""Compare `/api/daily_papers?date=` with the Hugging Face files it was imported from, field by field.

Shared by tools/compare_hf_archive.py (the whole archive) and tests/api/test_hf_compare_tool.py. It
needs Django set up with a database that already holds the import; `fetch_day` asks the API through
Django's test Client. What is compared is always the raw source item (as the file holds it, Python-repr
strings and wrappers unpacked), never the importer's parsed records, so the importer is checked too.

Every difference counts, except the key paths in DELIBERATE (one place, each with its reason), which
are counted apart. Keys we add that the source never has are allowed.
"""

from __future__ import annotations

import ast
import datetime as dt
import gzip
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The importer's own rule for which files a folder holds (re-exported for the script and tests).
from dailypapers.sources.hf_daily import find_files as find_files

# Key paths ([] = every element of a list) whose values differ on purpose; excluded from the counts
# that must become zero, but printed with their counts.
SEVERAL_DAYS = "paper.* (on several days)"
DELIBERATE: dict[str, str] = {
    "paper.discussionId": "Hugging Face's discussion id; ours is the arXiv id (the comments live here)",
    "paper.authors[]._id": "Hugging Face's authorship id; ours is <arXiv id>-<position>",
    "submittedBy._id": "Hugging Face's user id; a submitter has no Hugging Face id here",
    "paper.submittedOnDailyBy._id": "Hugging Face's user id; a submitter has no Hugging Face id here",
    "submittedBy.isUserFollowing": "depends on who is viewing",
    SEVERAL_DAYS: "paper.* of a paper on several days: one paper, its latest state (figures are per day)",
}

API_PAGE = 100  # the API's largest page; a day longer than that is read page by page
_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})")
_AUTHOR_KINDS = (
    "same-name co-authors merged",
    "hidden authors dropped",
    "spelling from another paper",
    "other",
)
# Text compared in its own section (exactly, and whether only whitespace differs).
TEXT_PATHS = ("paper.title", "paper.summary", "title", "summary")


@dataclass
class SourceDay:
    day: dt.date
    path: Path
    items: list[dict]


@dataclass
class Skipped:
    path: Path
    reason: str


def _item(raw: object) -> dict:
    # Some archives hold each item as the Python repr of the dict (see dailypapers.sources.hf_daily).
    if isinstance(raw, str):
        try:
            raw = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            raw = json.loads(raw)
    if not isinstance(raw, dict) or not isinstance(raw.get("paper"), dict):
        raise ValueError("an item that is not a daily-papers object")
    return raw


def read_day(path: Path) -> SourceDay | Skipped:
    """One file as one day's full list, or why it cannot be compared as such."""
    try:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Skipped(path, f"not readable as JSON: {exc}")
    match = _DAY.search(path.name)
    day = dt.date.fromisoformat(match.group(1)) if match else None
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        wrapped = str(data.get("date") or "")[:10]
        if day is None and wrapped:
            day = dt.date.fromisoformat(wrapped)
        elif wrapped and wrapped != day.isoformat():
            return Skipped(path, f"wrapper's date {wrapped} is not the file name's day")
        if isinstance(data.get("count"), int) and data["count"] != len(data["data"]):
            return Skipped(path, f"wrapper's count {data['count']} but {len(data['data'])} items")
        data = data["data"]
    if not isinstance(data, list) or any(isinstance(x, dict) and "data" in x for x in data):
        return Skipped(path, "not one day's list (a bare paper, or several wrapped days)")
    if day is None:
        return Skipped(path, "no day in the file name or wrapper")
    try:
        items = [_item(x) for x in data]
    except (ValueError, SyntaxError, json.JSONDecodeError) as exc:
        return Skipped(path, f"item not readable: {str(exc)[:80]}")
    ids = [str(x["paper"].get("id")) for x in items]
    if len(set(ids)) != len(ids):
        return Skipped(path, "the same paper twice in one day")
    return SourceDay(day, path, items)


def read_source(files: Iterable[Path]) -> tuple[list[SourceDay], list[Skipped]]:
    days: dict[dt.date, SourceDay] = {}
    skipped: list[Skipped] = []
    for path in files:
        got = read_day(path)
        if isinstance(got, SourceDay) and got.day in days:
            got = Skipped(path, f"a second file for {got.day} (after {days[got.day].path.name})")
        if isinstance(got, Skipped):
            skipped.append(got)
        else:
            days[got.day] = got
    return sorted(days.values(), key=lambda d: d.day), skipped


# --- asking the API -------------------------------------------------------------------------------


def fetch_day(client: Any, day: dt.date) -> list[dict] | str:
    """Every item of `/api/daily_papers?date=day`, following the pages; a string says why not."""
    items: list[dict] = []
    for page in range(50):
        response = client.get("/api/daily_papers", {"date": day.isoformat(), "limit": API_PAGE, "p": page})
        if response.status_code != 200:
            return f"HTTP {response.status_code}: {response.content[:120]!r}"
        items.extend(json.loads(response.content))
        if "Link" not in response.headers:
            return items
    return "more than 50 pages"


# --- the comparison -------------------------------------------------------------------------------


def _short(value: object, width: int = 70) -> str:
    text = "(missing)" if value is _MISSING else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


_MISSING = object()


def _around(ours: object, theirs: object, width: int = 70) -> tuple[str, str]:
    """Two values shown from a little before where they first differ (long texts, long id lists)."""
    a, b = _short(ours, 10**6), _short(theirs, 10**6)
    first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    start = max(0, first - 20)

    def cut(text: str) -> str:
        text = ("…" if start else "") + text[start:]
        return text if len(text) <= width else text[: width - 1] + "…"

    return cut(a), cut(b)


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _name_key(name: object) -> str:
    """Names as the same person: case, accents and spacing aside."""
    text = unicodedata.normalize("NFKD", str(name))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).casefold().split())


def align_authors(theirs: list[dict], ours: list[dict]) -> list[tuple[int, int | None]]:
    """Pairs (source position, our position or None), matching names in order (see _name_key)."""
    pairs: list[tuple[int, int | None]] = []
    start = 0
    keys = [_name_key(a.get("name")) for a in ours]
    for i, author in enumerate(theirs):
        key = _name_key(author.get("name"))
        j = next((j for j in range(start, len(ours)) if keys[j] == key), None)
        pairs.append((i, j))
        if j is not None:
            start = j + 1
    return pairs


@dataclass
class Report:
    """The counts (items unless said otherwise) and the first examples of each kind of difference."""

    show: int = 3
    days: int = 0
    items: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    api_errors: Counter = field(default_factory=Counter)  # reason -> days
    set_differs: int = 0
    missing_items: int = 0  # source items the API did not return
    extra_items: int = 0  # items the API returned that the source does not list that day
    order_differs: int = 0
    authors_differ: int = 0
    author_items: Counter = field(default_factory=Counter)  # kind -> items
    author_names: Counter = field(default_factory=Counter)  # kind -> names
    text_differs: Counter = field(default_factory=Counter)  # path -> items
    text_whitespace_only: Counter = field(default_factory=Counter)
    missing: Counter = field(default_factory=Counter)  # key path -> items where we lack the key
    differs: Counter = field(default_factory=Counter)  # key path -> items where the value differs
    null_added: Counter = field(default_factory=Counter)  # key path -> items where we send null/empty
    deliberate: Counter = field(default_factory=Counter)  # key path -> items
    multi_day_items: int = 0
    multi_day_counts_differ: int = 0
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def example(self, kind: str, text: str) -> None:
        if len(self.examples[kind]) < self.show:
            self.examples[kind].append(text)

    def failures(self) -> dict[str, int]:
        """Every count that must become zero, by name; the deliberate ones are not among them."""
        counts = {
            "days the API refused": sum(self.api_errors.values()),
            "days whose set of papers differs": self.set_differs,
            "days whose order differs": self.order_differs,
            "items whose author list differs": self.authors_differ,
            "multi-day items with another day's counts": self.multi_day_counts_differ,
        }
        for label, table in (("text differs", self.text_differs), ("key missing", self.missing)):
            counts.update({f"{label}: {path}": n for path, n in table.items()})
        counts.update({f"value differs: {path}": n for path, n in self.differs.items()})
        counts.update({f"null where the source omits: {path}": n for path, n in self.null_added.items()})
        return {name: n for name, n in counts.items() if n}

    def render(self) -> str:
        out: list[str] = []

        def row(label: str, value: object, indent: int = 2) -> None:
            out.append(f"{' ' * indent}{label:<58} {value:>8}")

        out.append("Comparison of /api/daily_papers?date= with the source files")
        row("days compared", self.days)
        row("items compared (matched by arXiv id)", self.items)
        row("files not comparable as one day's list", len(self.skipped))
        for reason, n in Counter(s.reason.split(":")[0] for s in self.skipped).most_common():
            row(reason, n, 6)
        row("days the API refused", sum(self.api_errors.values()))
        row("days whose set of papers differs", self.set_differs)
        row("source items missing from ours", self.missing_items, 6)
        row("items of ours not in the source that day", self.extra_items, 6)
        row("days whose order differs", self.order_differs)
        row("items whose author list differs", self.authors_differ)
        for kind in _AUTHOR_KINDS:
            row(f"{kind} (items / names)", f"{self.author_items[kind]} / {self.author_names[kind]}", 6)
        out.append("  text differs (items; of which whitespace only)")
        for path in TEXT_PATHS:
            row(path, f"{self.text_differs[path]} ({self.text_whitespace_only[path]})", 6)
        row("papers on several days: items", self.multi_day_items)
        row("of which carry another day's upvotes/numComments", self.multi_day_counts_differ, 6)
        for title, table in (
            ("source keys missing in ours (items)", self.missing),
            ("values that differ (items)", self.differs),
            ("keys we send null/empty where the source leaves them out (items)", self.null_added),
        ):
            out.append(f"  {title}: {len(table)} key paths")
            for path, n in sorted(table.items(), key=lambda kv: (-kv[1], kv[0])):
                row(path, n, 6)
        out.append("  deliberate differences (not counted; items)")
        for path, reason in DELIBERATE.items():
            row(f"{path}: {reason}"[:58], self.deliberate[path], 6)
        if self.show and self.examples:
            out.append("Examples (day arXiv-id path: ours | theirs)")
            for kind, lines in sorted(self.examples.items()):
                out.append(f"  {kind}")
                out.extend(f"      {line}" for line in lines)
        failing = self.failures()
        out.append(f"Counts that must become zero and are not: {len(failing)}")
        return "\n".join(out)


class _ItemDiff:
    """The key paths one item differs at (an item counts once per path however many elements differ)."""

    def __init__(self, known: dict[str, set[str]]) -> None:
        self.known = known
        self.missing: dict[str, tuple[object, object]] = {}
        self.differs: dict[str, tuple[object, object]] = {}
        self.null_added: dict[str, tuple[object, object]] = {}

    def walk(self, path: str, theirs: object, ours: object) -> None:
        if path in TEXT_PATHS:
            return
        if isinstance(theirs, dict):
            if not isinstance(ours, dict):
                self.differs.setdefault(path, (ours, theirs))
                return
            for key, value in theirs.items():
                sub = f"{path}.{key}" if path else key
                if key not in ours:
                    self.missing.setdefault(sub, (_MISSING, value))
                else:
                    self.walk(sub, value, ours[key])
            for key, value in ours.items():
                sub = f"{path}.{key}" if path else key
                if key not in theirs and _empty(value) and key in self.known.get(path, ()):
                    self.null_added.setdefault(sub, (value, _MISSING))
        elif isinstance(theirs, list) and theirs and all(isinstance(x, dict) for x in theirs):
            if not isinstance(ours, list) or len(ours) != len(theirs):
                self.differs.setdefault(f"{path}(length)", (_length(ours), len(theirs)))
            if isinstance(ours, list):
                for a, b in zip(theirs, ours, strict=False):
                    self.walk(f"{path}[]", a, b)
        elif theirs != ours or type(theirs) is not type(ours):
            self.differs.setdefault(path, (ours, theirs))


def _length(value: object) -> object:
    return len(value) if isinstance(value, list) else value


def _text_check(report: Report, where: str, path: str, theirs: object, ours: object) -> None:
    if theirs is _MISSING:
        return
    if ours != theirs:
        report.text_differs[path] += 1
        if isinstance(ours, str) and isinstance(theirs, str) and ours.split() == theirs.split():
            report.text_whitespace_only[path] += 1
        report.example(f"text differs: {path}", f"{where}: " + " | ".join(_around(ours, theirs)))


def _authors(report: Report, where: str, theirs: list, ours: object, diff: _ItemDiff) -> None:
    ours = ours if isinstance(ours, list) else []
    ours = [a for a in ours if isinstance(a, dict)]
    theirs = [a for a in theirs if isinstance(a, dict)]
    pairs = align_authors(theirs, ours)
    # Per-key comparison of each author we kept with its source entry (names are judged below).
    for i, j in pairs:
        if j is not None:
            source = {k: v for k, v in theirs[i].items() if k != "name"}
            diff.walk("paper.authors[]", source, ours[j])
    if [a.get("name") for a in theirs] == [a.get("name") for a in ours]:
        return
    report.authors_differ += 1
    lost: Counter = Counter()
    paired_keys = {_name_key(theirs[i].get("name")) for i, j in pairs if j is not None}
    for i, j in pairs:
        name = theirs[i].get("name")
        if j is None:
            if theirs[i].get("hidden"):
                lost["hidden authors dropped"] += 1
            elif _name_key(name) in paired_keys:
                lost["same-name co-authors merged"] += 1
            else:
                lost["other"] += 1
        elif ours[j].get("name") != name:
            lost["spelling from another paper"] += 1
    if extra := len(ours) - sum(1 for _, j in pairs if j is not None):
        lost["other"] += extra  # names of ours the source does not have
    if not lost:  # same people, same spelling: only the order is wrong
        lost["other"] += 1
    for kind, n in lost.items():
        report.author_items[kind] += 1
        report.author_names[kind] += n
    names_ours = [a.get("name") for a in ours]
    names_theirs = [a.get("name") for a in theirs]
    for kind in lost:
        report.example(f"authors: {kind}", f"{where}: " + " | ".join(_around(names_ours, names_theirs, 100)))


def known_keys(days: Iterable[SourceDay]) -> dict[str, set[str]]:
    """For each object path, every key the source ever gives it (Hugging Face's schema, as seen)."""
    known: dict[str, set[str]] = defaultdict(set)

    def walk(path: str, value: object) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                known[path].add(key)
                walk(f"{path}.{key}" if path else key, sub)
        elif isinstance(value, list):
            for sub in value:
                walk(f"{path}[]", sub)

    for day in days:
        for item in day.items:
            walk("", item)
    return known


def compare_day(
    report: Report, source: SourceDay, ours: list[dict], known: dict[str, set[str]], multi_day: set[str]
) -> None:
    report.days += 1
    theirs_ids = [str(x["paper"].get("id")) for x in source.items]
    ours_ids = [str((x.get("paper") or {}).get("id")) for x in ours]
    day = source.day.isoformat()
    if sorted(theirs_ids) != sorted(ours_ids):
        report.set_differs += 1
        missing, extra = set(theirs_ids) - set(ours_ids), set(ours_ids) - set(theirs_ids)
        report.missing_items += len(missing)
        report.extra_items += len(extra) + len(ours_ids) - len(set(ours_ids))
        report.example(
            "set of papers differs", f"{day}: missing {sorted(missing)[:5]}, extra {sorted(extra)[:5]}"
        )
    else:
        if theirs_ids != ours_ids:
            report.order_differs += 1
            report.example("order differs", f"{day}: " + " | ".join(_around(ours_ids, theirs_ids, 100)))
    by_id = {str((x.get("paper") or {}).get("id")): x for x in ours}
    for item in source.items:
        arxiv_id = str(item["paper"].get("id"))
        mine = by_id.get(arxiv_id)
        if mine is None:
            continue
        report.items += 1
        where = f"{day} {arxiv_id}"
        paper, my_paper = item["paper"], mine.get("paper") or {}
        for path, theirs_v, ours_v in (
            ("paper.title", paper.get("title", _MISSING), my_paper.get("title")),
            ("paper.summary", paper.get("summary", _MISSING), my_paper.get("summary")),
            ("title", item.get("title", _MISSING), mine.get("title")),
            ("summary", item.get("summary", _MISSING), mine.get("summary")),
        ):
            _text_check(report, where, path, theirs_v, ours_v)
        diff = _ItemDiff(known)
        source_item = {**item, "paper": {k: v for k, v in paper.items() if k != "authors"}}
        diff.walk("", source_item, mine)
        if "authors" in paper:
            if "authors" not in my_paper:
                diff.missing.setdefault("paper.authors", (_MISSING, paper["authors"]))
            else:
                _authors(report, where, paper["authors"], my_paper["authors"], diff)
        for kind, table, found in (
            ("key missing", report.missing, diff.missing),
            ("value differs", report.differs, diff.differs),
            ("null where the source omits", report.null_added, diff.null_added),
        ):
            for path, (ours_v, theirs_v) in found.items():
                generic = path.replace("(length)", "")
                if arxiv_id in multi_day and path.startswith("paper.") and path != "paper.upvotes":
                    generic = SEVERAL_DAYS
                if generic in DELIBERATE:
                    report.deliberate[generic] += 1
                    continue
                table[path] += 1
                report.example(f"{kind}: {path}", f"{where}: {_short(ours_v)} | {_short(theirs_v)}")
        if arxiv_id in multi_day:
            report.multi_day_items += 1
            counts = (paper.get("upvotes"), item.get("numComments"))
            if counts != (my_paper.get("upvotes"), mine.get("numComments")):
                report.multi_day_counts_differ += 1
                report.example(
                    "multi-day counts",
                    f"{where}: {(my_paper.get('upvotes'), mine.get('numComments'))} | {counts}",
                )


def compare(days: list[SourceDay], fetch: Callable[[dt.date], list[dict] | str], show: int = 3) -> Report:
    """Ask for every source day and compare it with the source, item by item."""
    report = Report(show=show)
    known = known_keys(days)
    seen = Counter(str(item["paper"].get("id")) for day in days for item in day.items)
    multi_day = {arxiv_id for arxiv_id, n in seen.items() if n > 1}
    for source in days:
        ours = fetch(source.day)
        if isinstance(ours, str):
            report.api_errors[ours] += 1
            report.example("API refused", f"{source.day}: {ours}")
            continue
        compare_day(report, source, ours, known, multi_day)
    return report
