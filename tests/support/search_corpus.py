"""A small real corpus for the search tests: papers from the bundled demo (real titles, abstracts,
authors) entering through the real ingest path, with embeddings computed once per test session by the
real model (the demo's own ship with the package) and stored as update_index would store them."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from dailypapers.papers.models import Paper
from dailypapers.search.embedding import bundled_vectors, get_embedder, paper_text
from dailypapers.search.indexing import text_hash
from dailypapers.search.models import PaperEmbedding
from dailypapers.sources import hf_daily
from dailypapers.sources.demo import DEMO_FILE
from dailypapers.sources.ingest import upsert

N_PAPERS = 36
_records = None
_vectors: dict[str, np.ndarray] = {}

# Categories given to the corpus in turn (in place of the demo's own), so filters can be tested.
CATS = ["cs.CL", "cs.CV", "cs.LG"]


def records(limit: int | None = N_PAPERS):
    """The demo's first `limit` papers (None: all of them), with categories and dates spread out for
    the filter tests."""
    global _records
    if _records is None:
        seen, out = set(), []
        for r in hf_daily.read_file(DEMO_FILE).records:
            if r.arxiv_id in seen or not r.abstract:
                continue
            seen.add(r.arxiv_id)
            i = len(out)
            out.append(
                dataclasses.replace(
                    r,
                    categories=[CATS[i % 3]],
                    published_at=dt.datetime(2026, 1 + i % 6, 10, tzinfo=dt.UTC),
                    github_repo=r.github_repo if i % 2 == 0 else "",
                    listings=[],
                )
            )
        _records = out
    return _records[:limit]


def load_corpus(embed: bool = True, limit: int | None = N_PAPERS) -> list[Paper]:
    """Put the corpus (`limit` demo papers; None: the whole demo) in the catalogue; with `embed`, store
    each paper's real embedding."""
    recs = records(limit)
    upsert(recs)
    papers = list(Paper.objects.filter(arxiv_id__in=[r.arxiv_id for r in recs]))
    if embed:
        store_embeddings(papers)
    return papers


def store_embeddings(papers: list[Paper]) -> None:
    embedder = get_embedder()
    texts = {p.id: paper_text(p.title, p.abstract) for p in papers}
    shipped = bundled_vectors(text_hash(embedder.name, t) for t in texts.values())
    for t in texts.values():  # the demo's vectors ship with the package (tools/demo_embeddings.py)
        if text_hash(embedder.name, t) in shipped:
            _vectors[t] = shipped[text_hash(embedder.name, t)]
    missing = [t for t in texts.values() if t not in _vectors]
    if missing:
        for t, v in zip(missing, embedder.embed(missing), strict=True):
            _vectors[t] = v
    PaperEmbedding.objects.bulk_create(
        [
            PaperEmbedding(
                paper_id=pid,
                model=embedder.name,
                text_hash=text_hash(embedder.name, t),
                vector=_vectors[t].tobytes(),
            )
            for pid, t in texts.items()
        ]
    )
