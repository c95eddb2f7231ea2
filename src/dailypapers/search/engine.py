"""The search engine over a folder: a tantivy index, a vector store, and how their rankings are fused.

The site keeps one under DAILYPAPERS_HOME/search; bench/eval_search.py builds a throwaway one with the same
code. Everything here is derived data: the database holds the papers and their embeddings.

Layout of the folder:
  current.json     manifest: the generation folder in use, its vector row count, the model
  lock             held by the one writer at a time (flock)
  g-<n>/lexical/   tantivy index
  g-<n>/vectors.f32, ids.i64, graph.usearch   vector store (see dense.py)
  g-<n>/docsig.*, vecsig.*               what was indexed for each id, to find what changed
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .dense import VectorStore
from .lexical import Doc, Filters, LexicalHits, LexicalIndex, Weights
from .pool import submit


@dataclass
class Fusion:
    """How lexical and dense rankings combine (tuned on SciFact training queries; see README).

    hybrid = w * bm25 / max_bm25 + (1 - w) * max(cos - cos_floor, 0) / (1 - cos_floor)
    over the union of both candidate lists, each candidate's cosine computed exactly. The cosine is not
    rescaled per query: when no document is close in meaning (an author's name, say), the dense side
    adds little and BM25 decides. Documents found only by the dense side count as BM25 0, and join the
    results only with cosine >= dense_min.
    """

    lexical_weight: float = 0.4
    cos_floor: float = 0.3
    dense_min: float = 0.35
    lexical_depth: int = 100
    dense_depth: int = 100


# How deep the site ranks every query, whatever page is asked for: pages are slices of this one ranking,
# so paging never repeats or skips a paper and every page counts the same total. The keyword side is
# ranked this deep; the meaning side adds its nearest `Fusion.dense_depth` (a deeper graph search costs
# time, and neighbours further down are too far in meaning to be worth showing).
RANK_DEPTH = 1000


@dataclass
class Candidate:
    id: int
    score: float = 0.0
    lexical_rank: int | None = None  # 1-based rank among BM25 results
    lexical_score: float | None = None
    dense_rank: int | None = None  # 1-based rank among nearest neighbours
    dense_score: float | None = None  # cosine similarity
    match: str = ""  # "arXiv id" or "title" when pinned first as an exact match


@dataclass
class Ranking:
    candidates: list[Candidate] = field(default_factory=list)
    total: int = 0
    # True: `total` is the number of candidates, every match of the query. False: `total` is a lower
    # bound of the matches (more BM25 matches than were ranked, or they were not all counted).
    total_exact: bool = True
    mode: str = "hybrid"  # "hybrid", "lexical" (no vectors yet) or "dense"


def fuse(
    lexical: list[tuple[int, float]],
    dense: list[tuple[int, float]],
    cosines: dict[int, float],
    fusion: Fusion,
) -> list[Candidate]:
    """Weighted score fusion of the two lists (see Fusion)."""
    cands: dict[int, Candidate] = {}
    for rank, (doc_id, s) in enumerate(lexical, 1):
        cands[doc_id] = Candidate(doc_id, lexical_rank=rank, lexical_score=s)
    for rank, (doc_id, cos) in enumerate(dense, 1):
        c = cands.get(doc_id)
        if c is None:
            if cos < fusion.dense_min:
                continue
            c = cands[doc_id] = Candidate(doc_id)
        c.dense_rank = rank
    for c in cands.values():
        c.dense_score = cosines.get(c.id)
    max_lex = max((s for _, s in lexical), default=0.0) or 1.0
    has_cos = any(c.dense_score is not None for c in cands.values())
    span = max(1.0 - fusion.cos_floor, 1e-6)
    w = fusion.lexical_weight if has_cos else 1.0
    for c in cands.values():
        lex = (c.lexical_score or 0.0) / max_lex
        den = max((c.dense_score or 0.0) - fusion.cos_floor, 0.0) / span if c.dense_score is not None else 0.0
        c.score = w * lex + (1.0 - w) * den
    return sorted(cands.values(), key=lambda c: (-c.score, c.lexical_rank or 1 << 30, c.id))


class IndexBusy(TimeoutError):
    """Another writer held the index lock for longer than the caller would wait."""


def _flock(fh, timeout: float | None) -> None:
    if timeout is None:
        fcntl.flock(fh, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise IndexBusy(f"another process is writing the search index in {fh.name}") from None
            time.sleep(0.05)


class SigLog:
    """Append-only (id, signature) pairs; the last pair of an id wins. Says what is indexed as what."""

    def __init__(self, path: Path, name: str) -> None:
        self.ids_path = path / f"{name}.ids"
        self.sigs_path = path / f"{name}.sig"

    def load(self) -> dict[int, int]:
        if not self.ids_path.exists():
            return {}
        ids = np.fromfile(self.ids_path, dtype=np.int64)
        sigs = np.fromfile(self.sigs_path, dtype=np.int64)
        n = min(len(ids), len(sigs))
        return dict(zip(ids[:n].tolist(), sigs[:n].tolist(), strict=True))

    def append(self, pairs: dict[int, int]) -> None:
        if not pairs:
            return
        with open(self.ids_path, "ab") as a, open(self.sigs_path, "ab") as b:
            a.write(np.fromiter(pairs.keys(), dtype=np.int64, count=len(pairs)).tobytes())
            b.write(np.fromiter(pairs.values(), dtype=np.int64, count=len(pairs)).tobytes())


class Engine:
    """Reads (and, holding the lock, writes) the search folder at `root`."""

    def __init__(
        self,
        root: Path,
        dim: int = 384,
        model: str = "",
        hnsw_threshold: int = 20_000,
        weights: Weights | None = None,
        fusion: Fusion | None = None,
    ) -> None:
        self.root = Path(root)
        self.dim = dim
        self.model = model
        self.hnsw_threshold = hnsw_threshold
        self.weights = weights or Weights()
        self.fusion = fusion or Fusion()
        self.root.mkdir(parents=True, exist_ok=True)
        self._stamp: tuple | None = None
        self._holding = False
        self.manifest: dict = {}
        self.lexical: LexicalIndex | None = None
        self.vectors: VectorStore | None = None
        self.refresh()

    # --- manifest and generations ---

    @property
    def manifest_path(self) -> Path:
        return self.root / "current.json"

    def _read_manifest(self) -> dict:
        try:
            return json.loads(self.manifest_path.read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def _write_manifest(self, manifest: dict) -> None:
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest))
        os.replace(tmp, self.manifest_path)
        if manifest.get("gen") != self.manifest.get("gen"):
            self._stamp = None
            self.refresh()
        else:  # the writer's own indexes are already up to date
            self.manifest = manifest
            st = self.manifest_path.stat()
            self._stamp = (st.st_mtime_ns, st.st_ino, st.st_size)

    @property
    def gen_path(self) -> Path:
        return self.root / self.manifest["gen"]

    def refresh(self) -> None:
        """Reopen the indexes if a writer (another process) changed them since we last looked."""
        try:
            st = self.manifest_path.stat()
            stamp = (st.st_mtime_ns, st.st_ino, st.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp and self.lexical is not None:
            return
        manifest = self._read_manifest()
        if not self._usable(manifest):
            # Starting a generation is a write: under the lock, or a reader could replace the one
            # a writer (say, the indexer beside a first `serve`) has just begun to fill.
            with self._lock_held():
                manifest = self._read_manifest()
                if not self._usable(manifest):
                    manifest = {"gen": self._new_gen(), "rows": 0, "dim": self.dim, "model": self.model}
                    tmp = self.manifest_path.with_suffix(".tmp")
                    tmp.write_text(json.dumps(manifest))
                    os.replace(tmp, self.manifest_path)
                st = self.manifest_path.stat()
                stamp = (st.st_mtime_ns, st.st_ino, st.st_size)
        old_gen = self.manifest.get("gen")
        self.manifest = manifest
        if self.lexical is None or old_gen != manifest["gen"]:
            self.lexical = LexicalIndex(self.gen_path / "lexical", self.weights)
        else:
            self.lexical.reload()
        self.vectors = VectorStore(self.gen_path, self.dim, manifest["rows"], self.hnsw_threshold)
        self._stamp = stamp

    def _usable(self, manifest: dict) -> bool:
        return bool(manifest) and manifest.get("dim") == self.dim and (self.root / manifest["gen"]).is_dir()

    @contextlib.contextmanager
    def _lock_held(self, timeout: float | None = None) -> Iterator[None]:
        """The writer lock, unless this engine holds it already (flock is per open file).

        With `timeout`, IndexBusy when another writer still holds it after that many seconds."""
        if self._holding:
            yield
            return
        with open(self.root / "lock", "a") as fh:
            _flock(fh, timeout)
            self._holding = True
            try:
                yield
            finally:
                self._holding = False
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _new_gen(self) -> str:
        name = f"g-{time.time_ns()}"
        (self.root / name).mkdir(parents=True)
        return name

    @contextlib.contextmanager
    def locked(self, timeout: float | None = None) -> Iterator[None]:
        """Exclusive writer lock (imports, the sync worker and `dailypapers index` may overlap).

        With `timeout`, IndexBusy when another writer still holds it after that many seconds."""
        with self._lock_held(timeout):
            self._stamp = None
            self.refresh()
            yield

    # --- writing (call inside `locked()`) ---

    def doc_sigs(self) -> dict[int, int]:
        return SigLog(self.gen_path, "docsig").load()

    def vec_sigs(self) -> dict[int, int]:
        return SigLog(self.gen_path, "vecsig").load()

    def write_docs(
        self, docs: list[Doc], sigs: dict[int, int], remove: list[int] = (), threads: int = 1
    ) -> None:
        """Index `docs` for keywords (replacing earlier versions) and drop `remove` from the keyword
        index (their vectors go with drop_vectors)."""
        assert self.lexical is not None
        if not docs and not remove:
            return
        self.lexical.write(docs, delete_ids=list(remove), threads=threads)
        SigLog(self.gen_path, "docsig").append({**sigs, **{int(i): 0 for i in remove}})
        # A new manifest is what tells readers in other processes to reopen the indexes.
        self._write_manifest({**self.manifest, "docs_written": self.manifest.get("docs_written", 0) + 1})

    def drop_vectors(self, ids: Iterable[int]) -> None:
        """Drop the vectors of `ids` (those that have one)."""
        assert self.vectors is not None
        indexed = self.vec_sigs()
        gone = [int(i) for i in ids if indexed.get(int(i), 0) != 0]
        if not gone:
            return
        rows = self.vectors.remove(gone)
        SigLog(self.gen_path, "vecsig").append(dict.fromkeys(gone, 0))
        self._write_manifest({**self.manifest, "rows": rows})

    def write_vectors(self, ids: list[int], vectors: np.ndarray, sigs: list[int]) -> None:
        assert self.vectors is not None
        if not ids:
            return
        rows = self.vectors.append(np.asarray(ids, dtype=np.int64), vectors)
        SigLog(self.gen_path, "vecsig").append(dict(zip(ids, sigs, strict=True)))
        self._write_manifest({**self.manifest, "rows": rows})

    def start_rebuild(self) -> Engine:
        """A fresh generation beside the current one; `finish_rebuild` switches readers over to it."""
        staging = Engine.__new__(Engine)
        staging.__dict__.update(self.__dict__)
        staging.manifest = {"gen": self._new_gen(), "rows": 0, "dim": self.dim, "model": self.model}
        staging.lexical = LexicalIndex(staging.gen_path / "lexical", self.weights)
        staging.vectors = VectorStore(staging.gen_path, self.dim, 0, self.hnsw_threshold)
        staging._write_manifest = lambda m: staging.manifest.update(m)  # not live until finished
        return staging

    def finish_rebuild(self, staging: Engine) -> None:
        old = self.manifest.get("gen")
        self._write_manifest(staging.manifest)
        # Open readers keep their files (POSIX), so the old generation can go at once.
        if old and old != staging.manifest["gen"]:
            shutil.rmtree(self.root / old, ignore_errors=True)
        for stale in self.root.glob("g-*"):
            if stale.name != self.manifest["gen"] and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)

    # --- reading ---

    def has_vectors(self) -> bool:
        return self.vectors is not None and len(self.vectors) > 0

    def search(
        self,
        text: str,
        query_vector: np.ndarray | Callable[[], np.ndarray] | None,
        filters: Filters | None = None,
        depth: int = 0,
        mode: str = "hybrid",
    ) -> Ranking:
        """Rank documents for `text` (and its embedding, when there is one), BM25 matches `depth` deep.

        `query_vector` may be a function that embeds the query: it is then called only when there
        are vectors to search, on another thread while BM25 runs.
        """
        assert self.lexical is not None and self.vectors is not None
        f = self.fusion
        use_dense = query_vector is not None and self.has_vectors() and mode in {"hybrid", "dense"}
        use_lexical = mode in {"hybrid", "lexical"} or not use_dense
        embedding = None
        if use_dense and callable(query_vector):
            if use_lexical:
                embedding = submit(query_vector)
            else:
                query_vector = query_vector()
        found = LexicalHits()
        if use_lexical:
            found = self.lexical.search(text, max(f.lexical_depth, depth), filters)
        if embedding is not None:
            query_vector = embedding.result()
        lexical = found.hits
        # Every BM25 match is among the candidates, or the total can only be a lower bound.
        complete = found.exact and found.total <= len(lexical)
        if not use_dense:
            cands = [
                Candidate(i, score=s, lexical_rank=r, lexical_score=s) for r, (i, s) in enumerate(lexical, 1)
            ]
            return _ranking(cands, found.total, complete, "lexical")
        k = f.dense_depth if mode == "hybrid" else max(f.dense_depth, depth)
        if filters:
            k = min(k * 10, 5000)  # filters drop most neighbours; look further
        dense = self.vectors.search(query_vector, k)
        if filters:
            allowed = self.lexical.filtered_ids([i for i, _ in dense], filters)
            dense = [(i, s) for i, s in dense if i in allowed]
        if mode == "dense":
            cands = [Candidate(i, score=s, dense_rank=r, dense_score=s) for r, (i, s) in enumerate(dense, 1)]
            return _ranking(cands, len(cands), True, "dense")
        cosines = dict(dense)
        missing = [i for i, _ in lexical if i not in cosines]
        cosines.update(self.vectors.scores(query_vector, missing))
        return _ranking(fuse(lexical, dense, cosines, f), found.total, complete, "hybrid")

    def similar(self, vector: np.ndarray, k: int, exclude: set[int] = frozenset()) -> list[tuple[int, float]]:
        assert self.vectors is not None
        found = self.vectors.search(vector, k + len(exclude))
        return [(i, s) for i, s in found if i not in exclude][:k]


def _ranking(cands: list[Candidate], lexical_total: int, complete: bool, mode: str) -> Ranking:
    """The ranking of `cands`, its total counted over the candidates themselves when they hold every
    match (a paper found by both sides counts once), else at least the BM25 matches."""
    if complete:
        return Ranking(cands, len(cands), True, mode)
    return Ranking(cands, max(lexical_total, len(cands)), False, mode)
