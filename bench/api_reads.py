"""Benchmark: API and feed reads against the demo catalogue, in a fresh SQLite home.

    python bench/api_reads.py [ROUNDS]    (default 30)

Times each request through Django's full stack (middleware, URL routing, views, rendering) in one
process, and prints the median per request with the ratio to the baseline measured in the same
process: the site's own HTML page for the same week (/papers/week/2026-W25).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    home = tempfile.mkdtemp(prefix="dailypapers-bench-")
    os.makedirs(os.path.join(home, "static"))
    os.environ["DAILYPAPERS_HOME"] = home
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    os.environ["DAILYPAPERS_API_READ_RATE"] = ""  # measure the work, not the limiter's refusals
    os.environ["DAILYPAPERS_PLAIN_STATIC"] = "1"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from dailypapers.papers.signals import batched_changes
    from dailypapers.sources.demo import load_demo

    call_command("migrate", verbosity=0)
    with batched_changes(notify=False):  # no search indexer beside the measurements
        load_demo()
    client = Client(HTTP_HOST="localhost")
    targets = {
        "baseline: HTML week page": "/papers/week/2026-W25",
        "GET /api/daily_papers?week=2026-W25&limit=100": "/api/daily_papers?week=2026-W25&limit=100",
        "GET /api/daily_papers?date=2026-06-19": "/api/daily_papers?date=2026-06-19",
        "GET /api/daily_papers?month=2026-06&sort=trending&limit=100": (
            "/api/daily_papers?month=2026-06&sort=trending&limit=100"
        ),
        "GET /api/papers?limit=100": "/api/papers?limit=100",
        "GET /api/papers/2606.19195": "/api/papers/2606.19195",
        "GET /papers/2606.19195.md": "/papers/2606.19195.md",
        "GET /feeds/daily.rss": "/feeds/daily.rss",
    }
    times: dict[str, list[float]] = {name: [] for name in targets}
    for url in targets.values():  # warm up
        assert client.get(url).status_code == 200, url
    for _ in range(rounds):
        for name, url in targets.items():
            start = time.perf_counter()
            client.get(url)
            times[name].append(time.perf_counter() - start)
    baseline = statistics.median(times["baseline: HTML week page"])
    print(f"{rounds} rounds, median per request (SQLite, demo catalogue)")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"  {name:<62} {median * 1000:7.1f} ms  {median / baseline:5.2f}x baseline")


if __name__ == "__main__":
    main()
