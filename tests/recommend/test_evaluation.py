"""The recommendation benchmark: its metrics on rankings worked out by hand, and `eval-recommend
--json` end to end on a tiny snapshot and archive written for the test (real embedder, real files)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
from io import StringIO

import pytest
from django.core.management import call_command

from dailypapers.recommend import evaluation as ev


def test_ndcg_recall_and_mrr_on_hand_made_rankings():
    assert ev.ndcg_at([True, False, False], 1) == 1.0
    assert ev.ndcg_at([False, True, False], 1) == pytest.approx(1 / math.log2(3))
    two = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ev.ndcg_at([True, False, True], 2) == pytest.approx(two)
    assert ev.ndcg_at([False] * 20 + [True], 1, k=20) == 0.0  # the 21st place is past the cut
    assert ev.ndcg_at([False, False], 0) == 0.0
    assert ev.recall_at([False] * 49 + [True] + [True], 2, k=50) == 0.5
    assert ev.reciprocal_rank([False, False, True]) == pytest.approx(1 / 3)
    assert ev.reciprocal_rank([False, False]) == 0.0


def test_ranking_metrics_orders_by_score_and_keeps_ties_in_candidate_order():
    candidates = [10, 11, 12, 13]
    figures = ev.ranking_metrics([0.1, 0.9, 0.5, 0.5], candidates, {13})
    # Order: 11, 12, 13 (tie with 12, later in the list), 10: the relevant paper is third.
    assert figures["mrr"] == pytest.approx(1 / 3)
    assert figures["ndcg@20"] == pytest.approx(1 / math.log2(4))
    assert figures["recall@50"] == 1.0


TOPICS = {
    "graphs": "Graph neural networks pass messages between nodes of molecular graphs",
    "speech": "Speech recognition transcribes spoken audio with acoustic models",
    "vision": "Image segmentation labels every pixel of photographs",
    "robots": "Robot manipulation learns to grasp objects from demonstrations",
}


def _paper(n: int, topic: str, authors: str, day: dt.date, category: str) -> dict:
    stamp = day.strftime("%a, %d %b %Y 00:00:00 +0000")
    return {
        "id": f"2601.{n:05d}",
        "authors": authors,
        "title": f"{topic.title()} study {n}",
        "abstract": f"{TOPICS[topic]}. Variant {n} of the method.",
        "categories": category,
        "versions": [{"version": "v1", "created": stamp}],
        "update_date": day.isoformat(),
    }


@pytest.fixture(scope="module")
def tiny_shared(tmp_path_factory):
    """Two authors with five papers each before 2026-01-15 and one after, among papers of others;
    and a Hugging Face archive where "ada" submits graph papers."""
    root = tmp_path_factory.mktemp("shared")
    (root / "arxiv-snapshot").mkdir()
    (root / "hf-daily-papers").mkdir()
    papers, n = [], 0
    before = [dt.date(2026, 1, d) for d in (2, 5, 7, 9, 12)]
    for day in before:
        for topic, author, cat in (("graphs", "Ada Lovelace", "cs.LG"), ("speech", "Alan Turing", "eess.AS")):
            n += 1
            papers.append(_paper(n, topic, f"{author}, Someone Else{n}", day, cat))
        for topic in ("vision", "robots"):
            n += 1
            papers.append(_paper(n, topic, f"Other Person{n}", day, "cs.CV"))
    after = [dt.date(2026, 1, d) for d in (16, 19)]
    for i, day in enumerate(after):
        for topic in TOPICS:
            n += 1
            author = {"graphs": "Ada Lovelace", "speech": "Alan Turing"}.get(topic, "Other")
            papers.append(_paper(n, topic, f"{author} , Person{n}" if i == 0 else f"Person{n}", day, "cs.CV"))
    with gzip.open(root / "arxiv-snapshot" / "arxiv-2026-01.jsonl.gz", "wt") as fh:
        for p in papers:
            fh.write(json.dumps(p) + "\n")

    def item(p: dict, submitter: str, upvotes: int) -> dict:
        day = p["update_date"]
        return {
            "paper": {
                "id": p["id"],
                "title": p["title"],
                "summary": p["abstract"],
                "authors": [{"name": a.strip()} for a in p["authors"].split(",")],
                "publishedAt": f"{day}T00:00:00.000Z",
                "submittedOnDailyAt": f"{day}T08:00:00.000Z",
                "upvotes": upvotes,
                "submittedOnDailyBy": {"user": submitter, "fullname": submitter},
            },
            "publishedAt": f"{day}T00:00:00.000Z",
            "title": p["title"],
            "numComments": 0,
        }

    by_day: dict[str, list] = {}
    for k, p in enumerate(papers):
        submitter = "ada" if p["title"].startswith("Graphs") else f"reader{k % 3}"
        by_day.setdefault(p["update_date"], []).append(item(p, submitter, k % 7))
    for day, items in by_day.items():
        (root / "hf-daily-papers" / f"{day}.json").write_text(json.dumps(items))
    return root


def test_eval_recommend_json_has_the_documented_shape(tiny_shared, tmp_path):
    out, err = StringIO(), StringIO()
    call_command(
        "eval-recommend",
        "--cutoff=2026-01-15",
        "--weeks=1",
        "--min-train=3",
        "--min-test=1",
        "--max-members=10",
        f"--shared={tiny_shared}",
        f"--cache={tmp_path / 'cache'}",
        "--json",
        stdout=out,
        stderr=err,
    )
    results = json.loads(out.getvalue())
    assert set(results) == {"arxiv-authors", "hf-submitters"}
    common = {"random", "newest", "category", "tfidf-svm", "centroid", "model"}
    assert set(results["arxiv-authors"]) == common
    assert set(results["hf-submitters"]) == common | {"votes"}
    for dataset in results.values():
        for figures in dataset.values():
            assert set(figures) == {"ndcg@20", "recall@50", "mrr", "members"}
            assert all(0.0 <= figures[k] <= 1.0 for k in ("ndcg@20", "recall@50", "mrr"))
    assert results["arxiv-authors"]["model"]["members"] == 2  # Ada and Alan
    assert results["hf-submitters"]["model"]["members"] == 4  # ada and three readers
    # Their own later papers are easy to find: the model ranks them first.
    assert results["arxiv-authors"]["model"]["mrr"] == 1.0

    # A second run reads every vector from the cache: the table form says the same.
    out2 = StringIO()
    cached = tmp_path / "cache" / "embeddings.sqlite3"
    size = cached.stat().st_size
    call_command(
        "eval-recommend",
        "--cutoff=2026-01-15",
        "--weeks=1",
        "--min-train=3",
        f"--shared={tiny_shared}",
        f"--cache={tmp_path / 'cache'}",
        "--dataset=arxiv-authors",
        stdout=out2,
        stderr=StringIO(),
    )
    assert cached.stat().st_size == size
    assert "| model |" in out2.getvalue() and "hf-submitters" not in out2.getvalue()


def test_bad_options_are_named_not_a_traceback(tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no arXiv snapshot"):
        call_command("eval-recommend", f"--shared={tmp_path}", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError):
        call_command("eval-recommend", "--cutoff=tomorrow", stdout=StringIO(), stderr=StringIO())


def test_max_members_draws_that_many_and_seed_decides_which(tiny_shared, tmp_path):
    def run(seed: int) -> dict:
        out = StringIO()
        call_command(
            "eval-recommend",
            "--cutoff=2026-01-15",
            "--weeks=1",
            "--min-train=3",
            "--max-members=1",
            f"--seed={seed}",
            f"--shared={tiny_shared}",
            f"--cache={tmp_path / 'cache'}",
            "--json",
            stdout=out,
            stderr=StringIO(),
        )
        return json.loads(out.getvalue())

    first = run(0)
    assert {figures["members"] for dataset in first.values() for figures in dataset.values()} == {1}
    assert run(0) == first  # the same seed draws the same member and the same random baseline
    assert any(run(seed) != first for seed in (1, 2, 3))
