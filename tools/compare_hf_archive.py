"""Import the Hugging Face daily archive into a fresh home and compare the API with it, day by day.

    python tools/compare_hf_archive.py [PATH ...] [--days 2026-08-19,...] [--limit-days N] [--show N]
                                       [--database-url postgres://...]

PATH: files or folders of `/api/daily_papers` responses (default: ../shared/data/hf-daily-papers, or
$DAILYPAPERS_SHARED/data/hf-daily-papers). The import runs the project's own `import hf-daily`
command in a new temporary DAILYPAPERS_HOME (SQLite unless --database-url names an empty database),
then every day is requested from `/api/daily_papers?date=` and compared with its file; see
tools/hf_compare.py for what is counted. Exit status 0 when every count outside the declared
deliberate differences is zero, 1 otherwise, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))  # measure this checkout's code, whatever is installed

import hf_compare  # noqa: E402  (beside this file)


def default_data() -> Path:
    shared = Path(os.environ.get("DAILYPAPERS_SHARED", REPO.parent / "shared"))
    return shared / "data" / "hf-daily-papers"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="files or folders (default: the shared archive)")
    parser.add_argument("--data", help="the archive folder, instead of PATH")
    parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite one")
    parser.add_argument("--days", help="only these days, comma-separated (YYYY-MM-DD,...)")
    parser.add_argument("--limit-days", type=int, help="only the first N days")
    parser.add_argument("--keep-home", action="store_true", help="leave the temporary home for inspection")
    parser.add_argument("--show", type=int, default=0, help="print the first N examples of each difference")
    args = parser.parse_args(argv)
    if args.days:
        try:
            args.days = {dt.date.fromisoformat(d.strip()) for d in args.days.split(",") if d.strip()}
        except ValueError as exc:
            parser.error(f"--days: {exc}")
    if args.limit_days is not None and args.limit_days < 1:
        parser.error("--limit-days must be at least 1")
    if args.show < 0:
        parser.error("--show must be 0 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    paths = args.paths or [args.data or default_data()]
    try:
        files = hf_compare.find_files(paths)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    days, skipped = hf_compare.read_source(files)
    if args.days:
        unknown = args.days - {d.day for d in days}
        if unknown:
            print(f"error: no comparable file for {', '.join(sorted(map(str, unknown)))}", file=sys.stderr)
            return 2
        days = [d for d in days if d.day in args.days]
        skipped = []
    if args.limit_days:
        days = days[: args.limit_days]
        skipped = [s for s in skipped if not days or s.path.name <= days[-1].path.name]
    if not days:
        print("error: no day to compare", file=sys.stderr)
        return 2
    # Only what is compared is imported (a subset runs fast); unreadable files still go to the importer
    # when the whole archive is asked for, so that its own reports about them show.
    to_import = sorted({d.path for d in days} | {s.path for s in skipped})

    home = tempfile.mkdtemp(prefix="dailypapers-compare-")
    os.environ["DAILYPAPERS_HOME"] = home
    (Path(home) / "static").mkdir()  # no static files are served here; this keeps WhiteNoise quiet
    os.environ["DAILYPAPERS_API_READ_RATE"] = "0/m"  # one client asks for every day: no per-client limit
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)
    err = StringIO()
    start = time.perf_counter()
    try:
        call_command(
            "import",
            "hf-daily",
            *map(str, to_import),
            "--no-progress",
            "--no-index",
            stdout=StringIO(),
            stderr=err,
        )
    except CommandError as exc:
        print(f"import: {exc}", file=sys.stderr)
    import_s = time.perf_counter() - start
    problems = [line for line in err.getvalue().splitlines() if line.strip()]

    client = Client()
    start = time.perf_counter()
    report = hf_compare.compare(days, lambda day: hf_compare.fetch_day(client, day), show=args.show)
    compare_s = time.perf_counter() - start
    report.skipped = skipped

    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"files: {len(files)} ({len(to_import)} imported), database: {database}")
    print(
        f"import: {import_s:.1f} s ({len(problems)} lines of import messages); comparison: {compare_s:.1f} s"
    )
    for line in problems[: max(args.show, 5)]:
        print(f"  import said: {line[:160]}")
    for item in skipped:
        print(f"  not comparable: {item.path.name}: {item.reason}")
    print(report.render())
    if not args.keep_home:
        shutil.rmtree(home, ignore_errors=True)
    return 1 if report.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
