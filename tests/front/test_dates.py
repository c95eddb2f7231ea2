"""A paper's arXiv date is a date: shown as that very date, whatever the feed's time zone (New York)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.factories import add_paper

pytestmark = pytest.mark.django_db

MIDNIGHT_UTC = dt.datetime(2026, 8, 20, tzinfo=dt.UTC)  # 8 pm on Aug 19 in New York


def test_paper_page_shows_the_arxiv_date(client):
    add_paper("2608.19880", "EnvHarness", published_at=MIDNIGHT_UTC, updated_at=MIDNIGHT_UTC)
    html = client.get("/papers/2608.19880").content.decode()
    assert "Published Aug 20, 2026" in html and "Aug 19" not in html
    assert "Updated" not in html


def test_the_updated_date_is_shown_when_it_is_another_day(client):
    later = MIDNIGHT_UTC + dt.timedelta(days=3, hours=23)
    add_paper("2608.19880", "EnvHarness", published_at=MIDNIGHT_UTC, updated_at=later)
    html = client.get("/papers/2608.19880").content.decode()
    assert "Published Aug 20, 2026" in html and "Updated Aug 23, 2026" in html


def test_search_results_show_the_arxiv_date(client, settings):
    from dailypapers.search.indexing import update_index

    settings.SEARCH_SEMANTIC = False  # found by its words; no model to load
    add_paper("2608.19880", "EnvHarness awakening static worlds", published_at=MIDNIGHT_UTC)
    update_index()
    html = client.get("/papers/search", {"q": "EnvHarness"}).content.decode()
    assert "Aug 20, 2026" in html and "Aug 19, 2026" not in html
