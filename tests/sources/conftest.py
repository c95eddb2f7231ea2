"""Fixtures of the sources' tests: keyword-only indexing, the HTTP client without delays, the Hugging Face
archive."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.shared import HF_DIR, need


@pytest.fixture(autouse=True)
def _keyword_search_only(settings):
    """These tests are about the catalogue: what they bring in is indexed by keywords only, not embedded
    (which took most of some tests' time). Indexing with meaning on arrival: tests/search/test_arrivals."""
    settings.SEARCH_SEMANTIC = False


@pytest.fixture
def fetcher(settings):
    """The sources' HTTP client with no polite delay and no real sleeping between retries."""
    from dailypapers.sources.fetching import Fetcher

    settings.ARXIV_DELAY = 0
    client = Fetcher(sleep=lambda seconds: None)
    yield client
    client.close()


@pytest.fixture
def hf_dir() -> Path:
    need(HF_DIR.is_dir(), f"the Hugging Face archive is not at {HF_DIR}")
    return HF_DIR
