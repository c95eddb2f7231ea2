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


def test_the_demo_is_hugging_faces_items_as_they_came(hf_dir):
    """Trimmed to what the site serves, never altered: every author (hidden ones too), the text with
    its line breaks, the submitter's public profile, the day's figures, as the archive has them."""
    import gzip
    import json

    from tools.hf_compare import read_source

    demo = json.loads(gzip.decompress(DEMO_FILE.read_bytes()))
    days, _ = read_source(hf_dir / f"{day['date']}.json" for day in demo)
    source = {(d.day.isoformat(), item["paper"]["id"]): item for d in days for item in d.items}
    hidden = 0
    for day in demo:
        for item in day["data"]:
            original = source[(day["date"], item["paper"]["id"])]
            assert item["paper"]["authors"] == original["paper"]["authors"]
            hidden += sum(bool(a.get("hidden")) for a in item["paper"]["authors"])
            for key in ("title", "summary", "upvotes", "organization", "mediaUrls"):
                assert item["paper"].get(key) == original["paper"].get(key), key
            for key in ("publishedAt", "title", "numComments", "organization", "isAuthorParticipating"):
                assert item.get(key) == original.get(key), key
            theirs = {k: v for k, v in (original.get("submittedBy") or {}).items() if k != "isUserFollowing"}
            assert item.get("submittedBy", {}) == theirs
    assert hidden == 1  # the one author Hugging Face hides in these days is there
