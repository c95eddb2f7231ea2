"""Benchmark: import the arXiv metadata snapshot into a fresh SQLite home and a fresh PostgreSQL database.

    python bench/import_snapshot.py [--scale N] [--postgres URL] [FILE...]

FILE defaults to ../shared/data/arxiv-snapshot/*.gz (74,728 papers). --scale N first writes N copies of
the files with new arXiv ids (other years), to show memory staying flat as the input grows. Prints
papers/s and peak RSS (the writer, and the reader process beside it) for each database, with the
rate of parsing alone, measured in this process, as the baseline.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))


def scaled_copies(files: list[Path], scale: int, folder: Path) -> list[Path]:
    """The files, plus copies whose ids move to other years (2606.30647 -> 2406.30647, 2206.30647...)."""
    out = list(files)
    for copy in range(1, scale):
        for path in files:
            target = folder / f"copy{copy}-{path.name}"
            with gzip.open(path, "rt") as src, gzip.open(target, "wt", compresslevel=1) as dst:
                for line in src:
                    obj = json.loads(line)
                    year = int(obj["id"][:2]) - 2 * copy
                    obj["id"] = f"{year:02d}{obj['id'][2:]}"
                    dst.write(json.dumps(obj) + "\n")
            out.append(target)
    return out


def parse_rate(files: list[Path]) -> tuple[int, float]:
    from dailypapers.sources.snapshot import read_batches

    start = time.perf_counter()
    count = sum(len(batch.records) for path in files for batch in read_batches(path))
    return count, time.perf_counter() - start


def run_target(database_url: str | None, files: list[Path]) -> dict:
    """Import in a fresh process (settings are read once per process); its figures as a dict."""
    env = {**os.environ, "DAILYPAPERS_HOME": tempfile.mkdtemp(prefix="dailypapers-bench-")}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", *map(str, files)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(files: list[Path]) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from dailypapers.papers.signals import batched_changes
    from dailypapers.sources.bulk import import_snapshot

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    with batched_changes(notify=False):  # the import alone, as `import --no-index`
        summary = import_snapshot(files, report=lambda message: None, progress=False)
    seconds = time.perf_counter() - start
    writer = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    reader = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"papers": summary.new, "seconds": seconds, "writer_mb": writer, "reader_mb": reader}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("DAILYPAPERS_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    files = args.files or sorted((REPO.parent / "shared/data/arxiv-snapshot").glob("*.gz"))
    if args.measure:
        measure(files)
        return
    with tempfile.TemporaryDirectory() as folder:
        files = scaled_copies(files, args.scale, Path(folder))
        count, parse_s = parse_rate(files)
        print(f"{len(files)} files, {count:,} papers")
        print(
            f"parse only (baseline, this process): {parse_s:6.2f} s  {count / parse_s:8,.0f} papers/s  1.00x"
        )
        targets = [("SQLite", None)]
        postgres = _fresh_postgres(args.postgres)
        if postgres:
            targets.append(("PostgreSQL", postgres[0]))
        try:
            for name, url in targets:
                r = run_target(url, files)
                print(
                    f"{name + ':':<11} {r['seconds']:6.2f} s  {r['papers'] / r['seconds']:8,.0f} papers/s  "
                    f"{r['seconds'] / parse_s:.2f}x baseline time; peak RSS writer {r['writer_mb']:.0f} MB, "
                    f"reader {r['reader_mb']:.0f} MB"
                )
        finally:
            if postgres:
                postgres[1]()


def _fresh_postgres(admin_url: str):
    """(url of a new, empty database, function that drops it), or None without a server."""
    try:
        import psycopg

        admin = psycopg.connect(admin_url.rsplit("/", 1)[0] + "/postgres", autocommit=True, connect_timeout=3)
    except Exception as exc:
        print(f"PostgreSQL: skipped ({exc})")
        return None
    name = f"dailypapers_bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


if __name__ == "__main__":
    main()
