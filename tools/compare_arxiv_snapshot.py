"""Import arXiv snapshot months into a fresh home and compare every stored paper with its source line.

    python tools/compare_arxiv_snapshot.py [PATH ...] [--months 2025-03,...] [--show N]
                                           [--database-url postgres://...]

PATH: snapshot files (.jsonl or .jsonl.gz) or folders of them (default: ../shared/data/arxiv-snapshot,
or $DAILYPAPERS_SHARED/data/arxiv-snapshot); --months picks the files arxiv-YYYY-MM.jsonl.gz. The
import is the project's own `import arxiv-snapshot` command, in a new temporary DAILYPAPERS_HOME
(SQLite unless --database-url names an empty database). Then each paper's stored title, abstract and
author list is compared with the JSON line it came from, read here on its own terms:

- title and abstract: the source text with its blank ends cut, nothing else (line breaks kept);
- authors: arXiv's author line (`authors`) split at ", ", "; ", ", and " and " and ", each name's spacing
  collapsed, the lone ":" between a collaboration and its members left out (as arXiv and Hugging
  Face show it). Every name in order, repeated names kept.

Printed: papers compared, papers missing, author lists differing (repeated names merged / other),
titles differing, abstracts differing. Exit status 0 when all are zero, 1 otherwise, 2 on bad
arguments.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))  # measure this checkout's code, whatever is installed

_SEPARATOR = re.compile(r"[,;]\s*(?:and\s+)?|\s+and\s+")
_MONTH = re.compile(r"\d{4}-\d{2}")


def default_data() -> Path:
    shared = Path(os.environ.get("DAILYPAPERS_SHARED", REPO.parent / "shared"))
    return shared / "data" / "arxiv-snapshot"


def source_authors(line: str) -> list[str]:
    """The author line as a list, by the plain rule above (independent of the importer's parser)."""
    names = (" ".join(part.split()) for part in _SEPARATOR.split(" ".join(line.split())))
    return [name for name in names if name and name != ":"]


def find_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz")))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return files


def read_source(files: list[Path]) -> dict[str, dict]:
    """arXiv id -> the last line of the files for it (a later line is a newer state of the paper)."""
    source: dict[str, dict] = {}
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") if path.name.endswith(".gz") else open(path) as fh:
            for line in fh:
                if line.strip():
                    obj = json.loads(line)
                    source[obj["id"]] = obj
    return source


def stored_papers() -> dict[str, tuple[str, str, list[str]]]:
    from dailypapers.papers.models import Authorship, Paper

    papers = {
        arxiv_id: (title, abstract, [])
        for arxiv_id, title, abstract in Paper.objects.values_list("arxiv_id", "title", "abstract").iterator()
    }
    rows = Authorship.objects.order_by("paper_id", "position").values_list("paper__arxiv_id", "name")
    for arxiv_id, name in rows.iterator(chunk_size=20_000):
        papers[arxiv_id][2].append(name)
    return papers


def compare(
    source: dict[str, dict], stored: dict[str, tuple[str, str, list[str]]], show: int
) -> dict[str, int]:
    counts = dict.fromkeys(
        ["papers compared", "papers missing", "authors: repeated names merged", "authors: other",
         "titles differing", "abstracts differing"],
        0,
    )  # fmt: skip
    examples: dict[str, list[str]] = {key: [] for key in counts}

    def note(kind: str, arxiv_id: str, ours: object, theirs: object) -> None:
        counts[kind] += 1
        if len(examples[kind]) < show:
            examples[kind].append(f"  {arxiv_id}: ours {ours!r:.300} | source {theirs!r:.300}")

    for arxiv_id, obj in source.items():
        paper = stored.get(arxiv_id)
        if paper is None:
            note("papers missing", arxiv_id, None, obj.get("title"))
            continue
        counts["papers compared"] += 1
        title, abstract, names = paper
        if title != (obj.get("title") or "").strip():
            note("titles differing", arxiv_id, title, obj.get("title"))
        if abstract != (obj.get("abstract") or "").strip():
            note("abstracts differing", arxiv_id, abstract, obj.get("abstract"))
        expected = source_authors(obj.get("authors") or "")
        if names != expected:
            merged = len(set(expected)) < len(expected) and names == list(dict.fromkeys(expected))
            note("authors: repeated names merged" if merged else "authors: other", arxiv_id, names, expected)
    for kind, lines in examples.items():
        if lines:
            print(f"{kind}:", *lines, sep="\n")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the shared snapshot)")
    parser.add_argument("--months", help="only these months, comma-separated (YYYY-MM,...)")
    parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite one")
    parser.add_argument("--keep-home", action="store_true", help="leave the temporary home for inspection")
    parser.add_argument("--show", type=int, default=0, help="print the first N examples of each difference")
    args = parser.parse_args(argv)
    try:
        files = find_files(args.paths or [default_data()])
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.months:
        months = {m.strip() for m in args.months.split(",") if m.strip()}
        bad = sorted(m for m in months if not _MONTH.fullmatch(m))
        if bad:
            parser.error(f"--months: {', '.join(bad)} is not YYYY-MM")
        files = [f for f in files if any(f"-{m}." in f.name for m in months)]
        missing = sorted(m for m in months if not any(f"-{m}." in f.name for f in files))
        if missing:
            print(f"error: no snapshot file for {', '.join(missing)}", file=sys.stderr)
            return 2
    if not files:
        print("error: no snapshot file to compare", file=sys.stderr)
        return 2

    home = tempfile.mkdtemp(prefix="dailypapers-compare-arxiv-")
    os.environ["DAILYPAPERS_HOME"] = home
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        err = StringIO()
        try:
            call_command(
                "import", "arxiv-snapshot", *map(str, files), "--no-progress", "--no-index",
                stdout=StringIO(), stderr=err,
            )  # fmt: skip
        except CommandError as exc:
            print(f"import: {exc}", file=sys.stderr)
        for line in err.getvalue().splitlines()[:20]:
            print(f"import: {line}", file=sys.stderr)
        imported = time.perf_counter()
        counts = compare(read_source(files), stored_papers(), args.show)
        done = time.perf_counter()
    finally:
        if not args.keep_home:
            shutil.rmtree(home, ignore_errors=True)
    print(f"files: {len(files)} ({', '.join(f.name for f in files[:3])}{', ...' if len(files) > 3 else ''})")
    for kind, count in counts.items():
        print(f"{kind}: {count:,}")
    print(f"time: import {imported - started:.1f} s, comparison {done - imported:.1f} s")
    differing = {k: v for k, v in counts.items() if k != "papers compared"}
    return 0 if counts["papers compared"] and not any(differing.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
