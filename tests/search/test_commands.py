"""`dailypapers index` (subprocess, resumable, --rebuild)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import call_command

from dailypapers.papers.models import Paper
from dailypapers.papers.signals import batched_changes
from dailypapers.search import indexing, instance
from dailypapers.search.models import PaperEmbedding
from dailypapers.search.query import search_papers
from tests.support.factories import add_paper


def ids(results) -> list[str]:
    return [h.paper.arxiv_id for h in results.hits]


@pytest.fixture
def search_dir(_own_search_index):
    return _own_search_index  # each test's own already (conftest)


def run_index(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dailypapers", "index", "--no-progress", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def unindexed_paper(*args, **fields) -> None:
    """A paper the search app is not told of (as after `import --no-index`): the index command's work."""
    with batched_changes(notify=False):
        add_paper(*args, **fields)


def test_index_command_embeds_missing_is_incremental_and_rebuilds(command_env, search_dir):
    env = {**command_env, "DAILYPAPERS_SEARCH_DIR": str(search_dir)}
    unindexed_paper(
        "2601.00001", "Sparse mixture of experts for translation", abstract="Routing tokens to experts."
    )
    unindexed_paper(
        "2601.00002", "Diffusion models for protein design", abstract="Generating protein backbones."
    )
    done = run_index(env)
    assert done.returncode == 0, done.stderr
    assert "2 papers searchable by keyword, 2 with embeddings" in done.stdout
    assert PaperEmbedding.objects.count() == 2
    assert ids(search_papers("protein diffusion"))[0] == "2601.00002"

    unindexed_paper(
        "2601.00003", "Graph neural networks for weather forecasting", abstract="Medium-range forecasts."
    )
    assert "2601.00003" not in ids(search_papers("weather forecasting"))
    stamps = dict(PaperEmbedding.objects.values_list("paper_id", "embedded_at"))
    done = run_index(env)
    assert done.returncode == 0, done.stderr
    assert "3 papers searchable by keyword, 3 with embeddings" in done.stdout
    # Only the new paper was embedded; the others kept their stored vectors.
    after = dict(PaperEmbedding.objects.values_list("paper_id", "embedded_at"))
    assert {k: v for k, v in after.items() if k in stamps} == stamps
    assert ids(search_papers("weather forecasting"))[0] == "2601.00003"

    before = [ids(search_papers(q)) for q in ("experts", "protein", "graph weather", "models")]
    done = run_index(env, "--rebuild")
    assert done.returncode == 0, done.stderr
    assert "3 with embeddings" in done.stdout
    assert [ids(search_papers(q)) for q in ("experts", "protein", "graph weather", "models")] == before
    assert dict(PaperEmbedding.objects.values_list("paper_id", "embedded_at")) == after


def test_index_resumes_from_stored_embeddings(db, search_dir, settings):
    add_paper(
        "2601.00001", "Sparse mixture of experts for translation", abstract="Routing tokens to experts."
    )
    add_paper("2601.00002", "Diffusion models for protein design", abstract="Generating protein backbones.")
    indexing.update_index([Paper.objects.get(arxiv_id="2601.00001").pk])
    assert PaperEmbedding.objects.count() == 1
    # A run stopped after the first batch: its embedding is kept, the index files are lost.
    for path in sorted(search_dir.glob("g-*")):
        import shutil

        shutil.rmtree(path)
    (search_dir / "current.json").unlink()
    instance.reset()
    kept = PaperEmbedding.objects.get().embedded_at
    call_command("index", "--no-progress", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert PaperEmbedding.objects.count() == 2
    assert PaperEmbedding.objects.get(paper__arxiv_id="2601.00001").embedded_at == kept
    assert ids(search_papers("mixture of experts"))[0] == "2601.00001"
