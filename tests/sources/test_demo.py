"""The demo bundled in the package: every paper with its real arXiv categories, and the README's
description of it (days, count) true."""

from __future__ import annotations

import re
from pathlib import Path

from dailypapers.sources import hf_daily
from dailypapers.sources.demo import DEMO_FILE

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_demo_paper_carries_its_arxiv_categories():
    reading = hf_daily.read_file(DEMO_FILE)
    assert reading.records and not reading.problems
    assert all(record.categories for record in reading.records)
    primaries = {record.categories[0] for record in reading.records}
    assert {"cs.AI", "cs.CL", "cs.CV"} <= primaries


def test_the_readme_describes_the_demo():
    records = hf_daily.read_file(DEMO_FILE).records
    days = sorted(listing.day for record in records for listing in record.listings)
    papers = len({record.arxiv_id for record in records})
    readme = " ".join(README.read_text().split())
    described = f"{days[0]} .. {days[-1]}: the {papers} papers of those days"
    assert described in readme, re.findall(r"\d{4}-\d\d-\d\d \.\. \d{4}-\d\d-\d\d[^)]*", readme)
