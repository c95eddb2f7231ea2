"""Retrieval quality on a test collection (SciFact's format), with the engine the site uses.

    python bench/eval_search.py --corpus C.jsonl --queries Q.jsonl --qrels R.tsv [--lexical-weight W]
    python bench/eval_search.py ... --graph-check

Builds a throwaway index over the collection with the site's search code (search/engine.py and the
bundled model), runs every judged query, and prints nDCG@10, recall@100, MRR@10 and latency for
lexical, dense and hybrid retrieval. The site's settings apply (DAILYPAPERS_SEARCH_MODEL_DIR,
DAILYPAPERS_SEARCH_LEXICAL_WEIGHT, DAILYPAPERS_SEARCH_HNSW_THRESHOLD); the site's own database and
index are not touched.

--graph-check compares the two ways the site finds nearest neighbours on these real embeddings: it
builds the index twice from the same vectors, once searched by an exact scan and once through the
usearch graph (the site's M / ef settings, dense.py), and prints recall@10 and recall@100 of the
graph's neighbours against the scan's for every judged query's embedding, then the table above for
each (their latencies leave out the query embedding, computed once for both).

corpus.jsonl   {"doc_id", "title", "abstract"} per line (BEIR's {"_id", "title", "text"} too)
queries.jsonl  {"query_id", "text"} per line (or {"_id", "text"})
qrels.tsv      query_id <tab> doc_id <tab> relevance, with a header line
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TextIO

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from dailypapers.search.embedding import Embedder, ModelMissing, get_embedder, paper_text  # noqa: E402
from dailypapers.search.engine import RANK_DEPTH, Engine, Fusion  # noqa: E402
from dailypapers.search.lexical import Doc, Weights  # noqa: E402
from dailypapers.search.phrasing import topic_of  # noqa: E402

MODES = ("lexical", "dense", "hybrid")
NO_GRAPH = 1 << 62  # a graph threshold never reached: every neighbour from an exact scan


class CollectionError(ValueError):
    """A file of the collection is missing or malformed."""


def _jsonl(path: Path) -> list[dict]:
    rows = []
    try:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except ValueError as exc:
                        raise CollectionError(f"{path}:{n}: not JSON ({exc})") from None
    except OSError as exc:
        raise CollectionError(f"{path}: {exc.strerror or exc}") from None
    return rows


def load_corpus(path: Path) -> list[tuple[str, str, str]]:
    """(doc id, title, abstract) for each document."""
    out = []
    for row in _jsonl(path):
        doc_id = row.get("doc_id", row.get("_id"))
        if doc_id is None:
            raise CollectionError(f"{path}: a document without doc_id")
        abstract = row.get("abstract", row.get("text", ""))
        if isinstance(abstract, list):
            abstract = " ".join(abstract)
        out.append((str(doc_id), row.get("title") or "", abstract or ""))
    return out


def load_queries(path: Path) -> dict[str, str]:
    out = {}
    for row in _jsonl(path):
        qid = row.get("query_id", row.get("_id"))
        if qid is None or "text" not in row:
            raise CollectionError(f"{path}: a query without query_id or text")
        out[str(qid)] = row["text"]
    return out


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CollectionError(f"{path}: {exc.strerror or exc}") from None
    for n, line in enumerate(lines, 1):
        parts = line.split("\t") if "\t" in line else line.split()
        if not parts or not line.strip():
            continue
        if len(parts) < 3:
            raise CollectionError(f"{path}:{n}: expected query_id, doc_id, relevance")
        try:
            rel = int(float(parts[-1]))
        except ValueError:
            if n == 1:
                continue  # the header
            raise CollectionError(f"{path}:{n}: relevance {parts[-1]!r} is not a number") from None
        qrels.setdefault(parts[0], {})[parts[-2]] = rel
    return qrels


def ndcg_at(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(rels.values(), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: list[str], rels: dict[str, int], k: int = 100) -> float:
    relevant = {d for d, r in rels.items() if r > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    for i, d in enumerate(ranked[:k]):
        if rels.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


@dataclass
class ModeResult:
    mode: str
    ndcg10: float = 0.0
    recall100: float = 0.0
    mrr10: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)

    def percentile(self, p: float) -> float:
        return float(np.percentile(self.latencies_ms, p)) if self.latencies_ms else 0.0


@dataclass
class Collection:
    """A throwaway engine over a corpus, built with the site's code."""

    engine: Engine
    embedder: Embedder | None
    doc_ids: list[str]  # engine id i -> corpus doc id
    build_seconds: float
    tmp: tempfile.TemporaryDirectory | None = None
    vectors: np.ndarray | None = None  # the documents' embeddings, row i for document i

    def close(self) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()


def build_collection(
    corpus: list[tuple[str, str, str]],
    embedder: Embedder | None,
    root: Path | None = None,
    vectors: np.ndarray | None = None,
    progress: Callable[[int], None] | None = None,
    weights: Weights | None = None,
    fusion: Fusion | None = None,
    hnsw_threshold: int = 20_000,
) -> Collection:
    """Index `corpus` (and embed it, unless `vectors` are given) in `root` or a temporary folder.
    Nearest neighbours come from a usearch graph from `hnsw_threshold` documents on (as on the site)."""
    tmp = None
    if root is None:
        tmp = tempfile.TemporaryDirectory(prefix="dp-eval-")
        root = Path(tmp.name)
    start = time.perf_counter()
    dim = embedder.dim if embedder else 384
    opened = partial(
        Engine,
        root,
        dim=dim,
        model=embedder.name if embedder else "",
        hnsw_threshold=hnsw_threshold,
        weights=weights,
        fusion=fusion,
    )
    engine = opened()
    docs = [Doc(i, title, abstract) for i, (_, title, abstract) in enumerate(corpus)]
    with engine.locked():
        engine.write_docs(docs, {d.id: 1 for d in docs}, threads=2)
        if vectors is None and embedder is not None:
            parts = []
            batch = 256
            for s in range(0, len(corpus), batch):
                chunk = corpus[s : s + batch]
                parts.append(embedder.embed([paper_text(t, a) for _, t, a in chunk]))
                if progress:
                    progress(len(chunk))
            vectors = np.concatenate(parts) if parts else np.zeros((0, dim), dtype=np.float32)
        if vectors is not None and len(vectors):
            engine.write_vectors(list(range(len(corpus))), vectors, [1] * len(corpus))
    # Searched by a reader opening the files, as the site's server processes do (a writer never
    # searches: it does not map the graph it wrote).
    engine = opened()
    doc_ids = [d for d, _, _ in corpus]
    return Collection(engine, embedder, doc_ids, time.perf_counter() - start, tmp, vectors)


def evaluate(
    collection: Collection,
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
    modes: tuple[str, ...] = MODES,
    query_vectors: dict[str, np.ndarray] | None = None,
) -> dict[str, ModeResult]:
    """Run every judged query in each mode; latency includes embedding the query."""
    results = {m: ModeResult(m) for m in modes}
    judged = [q for q in queries if q in qrels]
    if not judged:
        raise CollectionError("no query has relevance judgements")
    for mode in modes:
        r = results[mode]
        for qid in judged:
            t0 = time.perf_counter()
            text = topic_of(queries[qid])  # as the site does: without "papers that ..." and the like
            qvec = None
            if mode != "lexical":
                if query_vectors is not None:
                    qvec = query_vectors[qid]
                elif collection.embedder is not None:
                    qvec = partial(collection.embedder.embed_query, text)  # as the site does
            ranking = collection.engine.search(text, qvec, None, depth=RANK_DEPTH, mode=mode)
            r.latencies_ms.append((time.perf_counter() - t0) * 1000)
            ranked = [collection.doc_ids[c.id] for c in ranking.candidates[:100]]
            r.ndcg10 += ndcg_at(ranked, qrels[qid])
            r.recall100 += recall_at(ranked, qrels[qid])
            r.mrr10 += mrr_at(ranked, qrels[qid])
        r.ndcg10 /= len(judged)
        r.recall100 /= len(judged)
        r.mrr10 /= len(judged)
    return results


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/eval_search.py",
        description="Build a throwaway index over a test collection (SciFact's format) with the site's "
        "search code, run every judged query, and print nDCG@10, recall@100, MRR@10 and latency for "
        "lexical, dense and hybrid retrieval.",
    )
    parser.add_argument("--corpus", type=Path, required=True, help="JSON lines: doc_id, title, abstract")
    parser.add_argument("--queries", type=Path, required=True, help="JSON lines: query_id, text")
    parser.add_argument("--qrels", type=Path, required=True, help="TSV: query_id, doc_id, relevance")
    parser.add_argument("--lexical-weight", type=float, default=None, help="override the hybrid weight")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--graph-check",
        action="store_true",
        help="also search through the usearch graph and compare it with an exact scan",
    )
    return parser.parse_args(argv)


def _settings():
    """The site's settings (model folder, hybrid weight), read as the site reads them."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    from django.conf import settings

    return settings


def report(
    collection: Collection, results: dict[str, ModeResult], judged: int, out: TextIO, title: str = ""
) -> None:
    """The figures, as the README shows them."""
    embedder = collection.embedder
    print(
        f"{len(collection.doc_ids)} documents, {judged} judged queries; "
        f"index built in {collection.build_seconds:.1f} s "
        f"(model {embedder.name if embedder else '-'}, "
        f"lexical weight {collection.engine.fusion.lexical_weight})" + (f"; {title}" if title else ""),
        file=out,
    )
    print(f"{'mode':<8} {'nDCG@10':>8} {'R@100':>7} {'MRR@10':>7} {'p50 ms':>7} {'p99 ms':>7}", file=out)
    for mode in MODES:
        r = results[mode]
        print(
            f"{mode:<8} {r.ndcg10:8.4f} {r.recall100:7.4f} {r.mrr10:7.4f} "
            f"{r.percentile(50):7.1f} {r.percentile(99):7.1f}",
            file=out,
        )


def neighbour_recall(
    exact: Collection, graph: Collection, query_vectors: dict[str, np.ndarray], k: int
) -> float:
    """The share of the exact scan's `k` nearest documents that the graph also returns, averaged
    over the queries."""
    assert exact.engine.vectors is not None and graph.engine.vectors is not None
    total = 0.0
    for vector in query_vectors.values():
        truth = {i for i, _ in exact.engine.vectors.search(vector, k)}
        found = {i for i, _ in graph.engine.vectors.search(vector, k)}
        total += len(truth & found) / len(truth)
    return total / len(query_vectors)


def graph_check(
    corpus: list[tuple[str, str, str]],
    exact: Collection,
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
    out: TextIO,
) -> None:
    """Build the same index with its neighbours from a usearch graph; compare it with `exact`."""
    from dailypapers.search.dense import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M

    assert exact.embedder is not None and exact.vectors is not None
    judged = [q for q in queries if q in qrels]
    # As the site embeds a query: the words that phrase a request left out (topic_of).
    vectors = {q: exact.embedder.embed_query(topic_of(queries[q])) for q in judged}
    graph = build_collection(
        corpus, exact.embedder, vectors=exact.vectors, fusion=exact.engine.fusion, hnsw_threshold=1
    )
    try:
        assert graph.engine.vectors is not None and graph.engine.vectors.hnsw is not None
        exact_results = evaluate(exact, queries, qrels, query_vectors=vectors)
        graph_results = evaluate(graph, queries, qrels, query_vectors=vectors)
        r10, r100 = (neighbour_recall(exact, graph, vectors, k) for k in (10, 100))
    finally:
        graph.close()
    report(exact, exact_results, len(judged), out, "exact scan")
    report(graph, graph_results, len(judged), out, "usearch graph")
    print(
        f"usearch graph (M {HNSW_M}, ef_construction {HNSW_EF_CONSTRUCTION}, ef {HNSW_EF_SEARCH}) "
        f"against the exact scan, {len(judged)} query embeddings: "
        f"neighbours recall@10 {r10:.4f}, recall@100 {r100:.4f}",
        file=out,
    )


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the evaluation; 0, or 1 after printing why the collection cannot be used."""
    from tqdm import tqdm

    args = _arguments(argv)
    out = out or sys.stdout
    try:
        docs = load_corpus(args.corpus)
        query_texts = load_queries(args.queries)
        judgements = load_qrels(args.qrels)
        if not docs:
            raise CollectionError(f"{args.corpus}: no documents")
        settings = _settings()
        try:
            embedder = get_embedder()
        except ModelMissing as exc:
            raise CollectionError(f"the embedding model cannot load: {exc}") from None
        weight = settings.SEARCH_LEXICAL_WEIGHT if args.lexical_weight is None else args.lexical_weight
        # The reference for --graph-check is an exact scan, however many documents there are.
        threshold = NO_GRAPH if args.graph_check else settings.SEARCH_HNSW_THRESHOLD
        bar = tqdm(total=len(docs), desc="embedding corpus", unit="doc", disable=args.no_progress)
        collection = build_collection(
            docs,
            embedder,
            progress=bar.update,
            fusion=Fusion(lexical_weight=weight),
            hnsw_threshold=threshold,
        )
        bar.close()
        try:
            if args.graph_check:
                graph_check(docs, collection, query_texts, judgements, out)
                return 0
            results = evaluate(collection, query_texts, judgements)
        finally:
            collection.close()
    except CollectionError as exc:
        print(f"eval_search: error: {exc}", file=sys.stderr)
        return 1
    report(collection, results, sum(1 for q in query_texts if q in judgements), out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
