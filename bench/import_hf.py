"""Benchmark: import the whole Hugging Face daily archive into a fresh SQLite home.

    python bench/import_hf.py [PATH]    (default ../shared/data/hf-daily-papers)

Prints records/s for three passes in one process: parsing alone (the baseline: no database), the
first import, and a rerun that must change nothing; with ratios to the baseline and peak RSS.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else REPO.parent / "shared/data/hf-daily-papers")
    home = tempfile.mkdtemp(prefix="dailypapers-bench-")
    os.environ["DAILYPAPERS_HOME"] = home
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from dailypapers.papers.signals import batched_changes
    from dailypapers.sources import hf_daily
    from dailypapers.sources.bulk import import_hf_daily

    call_command("migrate", verbosity=0)
    files = hf_daily.find_files([source])

    start = time.perf_counter()
    records = sum(len(hf_daily.read_file(path).records) for path in files)
    parse_s = time.perf_counter() - start

    quiet = StringIO().write
    start = time.perf_counter()
    with batched_changes(notify=False):  # the import alone, as `import --no-index`
        first = import_hf_daily(files, report=quiet, progress=False)
    import_s = time.perf_counter() - start

    start = time.perf_counter()
    with batched_changes(notify=False):
        again = import_hf_daily(files, report=quiet, progress=False)
    rerun_s = time.perf_counter() - start
    assert again.new == again.updated == again.listings_new == 0, "rerun changed the catalogue"

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_mb = (Path(home) / "dailypapers.sqlite3").stat().st_size / 2**20
    print(f"files: {len(files)}, records: {records}, papers: {first.new}, listings: {first.listings_new}")
    print(f"parse only (baseline): {parse_s:6.2f} s  {records / parse_s:8.0f} records/s  1.00x")
    print(
        f"first import:          {import_s:6.2f} s  {records / import_s:8.0f} records/s  "
        f"{import_s / parse_s:.2f}x baseline time  ({first.new / import_s:.0f} papers/s)"
    )
    ratio = rerun_s / parse_s
    print(
        f"rerun (no change):     {rerun_s:6.2f} s  {records / rerun_s:8.0f} records/s  {ratio:.2f}x baseline"
    )
    print(f"peak RSS: {peak_mb:.0f} MB; database: {size_mb:.1f} MB")


if __name__ == "__main__":
    main()
