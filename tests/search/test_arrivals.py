"""Papers become searchable as they arrive: imports, the sync worker and arXiv lookups bring them in
through upsert, whose catalogue_changed signal the search app receives; a broken index never fails
the work that brought them in. (Committed data: the signal is sent once a transaction commits.)"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from dailypapers.papers.models import Paper
from dailypapers.search import indexing, instance, query
from tests.support.factories import add_paper
from tests.support.recorded_arxiv import CATEGORIES
from tests.support.shared import HF_DIR, need

pytestmark = pytest.mark.django_db(transaction=True)


def found_first(title: str) -> str | None:
    hits = query.search_papers(title, limit=3).hits
    return hits[0].paper.arxiv_id if hits else None


def test_an_import_makes_its_papers_searchable():
    path = HF_DIR / "2024-06-04.json"
    need(path.is_file(), f"{path} is missing")
    out = StringIO()
    call_command("import", "hf-daily", str(path), "--no-progress", stdout=out, stderr=StringIO())
    assert "Indexing for search" in out.getvalue()
    for paper in Paper.objects.all()[:5]:
        assert found_first(paper.title) == paper.arxiv_id
    assert indexing.index_status()["vectors"] == Paper.objects.count()


def test_import_with_no_index_leaves_the_index_alone():
    path = HF_DIR / "2024-06-04.json"
    need(path.is_file(), f"{path} is missing")
    call_command("import", "hf-daily", str(path), "--no-progress", "--no-index", stdout=StringIO())
    assert found_first(Paper.objects.first().title) is None


def test_an_arxiv_lookup_makes_the_paper_searchable(api, settings):
    settings.ARXIV_DELAY = 0
    call_command("arxiv", "lookup", "1707.08567", stdout=StringIO(), stderr=StringIO())
    paper = Paper.objects.get(arxiv_id="1707.08567")
    assert found_first(paper.title) == "1707.08567"


def test_a_sync_pass_indexes_what_it_brought_and_other_roads_need_no_pass(arxiv, settings):
    settings.SEARCH_SEMANTIC = False  # keywords are enough here; the RSS day has hundreds of papers
    add_paper("2401.00001", title="Submitted between passes: spectral widgets for graph sparsifiers")
    assert found_first("spectral widgets graph sparsifiers") == "2401.00001"  # before any pass
    call_command("sync", "--categories", CATEGORIES, stdout=StringIO(), stderr=StringIO())
    assert found_first("spectral widgets graph sparsifiers") == "2401.00001"
    synced = Paper.objects.get(arxiv_id="2411.18126")  # from the RSS day
    assert found_first(synced.title) == "2411.18126"


def test_a_broken_index_is_reported_and_the_papers_still_land(settings, tmp_path):
    path = HF_DIR / "2024-06-04.json"
    need(path.is_file(), f"{path} is missing")
    settings.SEARCH_DIR = tmp_path / "not-a-folder"
    settings.SEARCH_DIR.write_text("in the way")
    instance.reset()
    out, err = StringIO(), StringIO()
    call_command("import", "hf-daily", str(path), "--no-progress", stdout=out, stderr=err)
    assert "The search index was not updated" in err.getvalue() and "dailypapers index" in err.getvalue()
    assert Paper.objects.count() > 0
