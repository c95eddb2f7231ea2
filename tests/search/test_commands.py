"""`dailypapers index` (subprocess, resumable, --rebuild) and `dailypapers eval-search`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from dailypapers.papers.models import Paper
from dailypapers.search import service
from dailypapers.search.models import PaperEmbedding
from dailypapers.search.service import search_papers
from tests.support.factories import add_paper
from tests.support.shared import SHARED, need

SCIFACT = SHARED / "data" / "scifact"


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


def test_index_command_embeds_missing_is_incremental_and_rebuilds(command_env, search_dir):
    env = {**command_env, "DAILYPAPERS_SEARCH_DIR": str(search_dir)}
    add_paper(
        "2601.00001", "Sparse mixture of experts for translation", abstract="Routing tokens to experts."
    )
    add_paper("2601.00002", "Diffusion models for protein design", abstract="Generating protein backbones.")
    done = run_index(env)
    assert done.returncode == 0, done.stderr
    assert "2 papers searchable by keyword, 2 with embeddings" in done.stdout
    assert PaperEmbedding.objects.count() == 2
    assert ids(search_papers("protein diffusion"))[0] == "2601.00002"

    add_paper(
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
    service.update_index([Paper.objects.get(arxiv_id="2601.00001").pk])
    assert PaperEmbedding.objects.count() == 1
    # A run stopped after the first batch: its embedding is kept, the index files are lost.
    for path in sorted(search_dir.glob("g-*")):
        import shutil

        shutil.rmtree(path)
    (search_dir / "current.json").unlink()
    service.reset()
    kept = PaperEmbedding.objects.get().embedded_at
    call_command("index", "--no-progress", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert PaperEmbedding.objects.count() == 2
    assert PaperEmbedding.objects.get(paper__arxiv_id="2601.00001").embedded_at == kept
    assert ids(search_papers("mixture of experts"))[0] == "2601.00001"


def tiny_scifact(tmp_path):
    need(SCIFACT.is_dir(), f"SciFact is not at {SCIFACT}")
    queries = [json.loads(line) for line in (SCIFACT / "queries-train.jsonl").open()][:12]
    qrels = [line.split("\t") for line in (SCIFACT / "qrels-train.tsv").read_text().splitlines()[1:]]
    wanted = {q["query_id"] for q in queries}
    qrels = [r for r in qrels if r[0] in wanted]
    relevant = {r[1] for r in qrels}
    corpus = []
    for line in (SCIFACT / "corpus.jsonl").open():
        doc = json.loads(line)
        if doc["doc_id"] in relevant or len(corpus) < 30:
            corpus.append(doc)
    (tmp_path / "c.jsonl").write_text("".join(json.dumps(d) + "\n" for d in corpus))
    (tmp_path / "q.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))
    (tmp_path / "r.tsv").write_text(
        "query_id\tdoc_id\trelevance\n" + "".join("\t".join(r) + "\n" for r in qrels)
    )
    return tmp_path / "c.jsonl", tmp_path / "q.jsonl", tmp_path / "r.tsv"


def test_eval_search_prints_quality_and_latency_for_each_mode(tmp_path, capsys):
    corpus, queries, qrels = tiny_scifact(tmp_path)
    call_command("eval-search", "--corpus", corpus, "--queries", queries, "--qrels", qrels, "--no-progress")
    out = capsys.readouterr().out
    assert "12 judged queries" in out
    rows = {
        line.split()[0]: line.split()[1:]
        for line in out.splitlines()
        if line.split()[:1] in (["lexical"], ["dense"], ["hybrid"])
    }
    assert set(rows) == {"lexical", "dense", "hybrid"}
    for mode, (ndcg, recall, mrr, p50, p99) in rows.items():
        assert 0.5 < float(ndcg) <= 1 and 0.5 < float(recall) <= 1 and 0 < float(mrr) <= 1, mode
        assert 0 < float(p50) <= float(p99)


def test_eval_search_reports_bad_files(tmp_path):
    corpus, queries, qrels = tiny_scifact(tmp_path)
    with pytest.raises(CommandError, match="no such file|No such file"):
        call_command(
            "eval-search", "--corpus", tmp_path / "nope.jsonl", "--queries", queries, "--qrels", qrels
        )
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    with pytest.raises(CommandError, match="not JSON"):
        call_command("eval-search", "--corpus", corpus, "--queries", tmp_path / "bad.jsonl", "--qrels", qrels)
