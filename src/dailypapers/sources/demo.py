"""The demo snapshot bundled in the package: 20 real feed days, so a first start shows a full site."""

from __future__ import annotations

from pathlib import Path

from dailypapers.sources import hf_daily
from dailypapers.sources.ingest import UpsertResult, upsert

DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo-hf-daily.json.gz"


def load_demo() -> UpsertResult:
    return upsert(hf_daily.read_file(DEMO_FILE).records)
