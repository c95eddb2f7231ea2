"""Nearest neighbours over paper embeddings: exact numpy below a threshold, a usearch graph above it.

On disk (derived from the database, rebuildable at any time):
  vectors.f32  rows of float32 unit vectors, appended as papers are embedded
  ids.i64      the paper id of each row; a later row for the same id supersedes the earlier one,
               and a row with id -(id + 1) removes the id (hidden or deleted papers); a rebuild compacts
  graph.usearch  the usearch HNSW graph over the live rows (with their vectors), kept only at
               `hnsw_threshold` rows and above. Readers memory-map it read-only (Index.view), so the
               server workers of one node share one copy in the page cache instead of each loading
               its own (2.2 GB per worker at 1M papers with hnswlib, which could only load).
               Writers load it, change it and replace the file; readers reopen on the next manifest.

Readers open only the first `rows` rows recorded in the manifest, so appends in progress are never seen.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

HNSW_M = 16
HNSW_EF_CONSTRUCTION = 100
HNSW_EF_SEARCH = 128
OLD_GRAPH = "hnsw.bin"  # hnswlib's graph in folders written before usearch: removed on the next write


def _new_index(dim: int):
    from usearch.index import Index

    return Index(
        ndim=dim,
        metric="ip",
        dtype="f32",  # the vectors as embedded: recall at least hnswlib's, which kept f32
        connectivity=HNSW_M,
        expansion_add=HNSW_EF_CONSTRUCTION,
        expansion_search=HNSW_EF_SEARCH,
    )


class VectorStore:
    def __init__(self, path: Path, dim: int, rows: int, hnsw_threshold: int = 20_000) -> None:
        self.path = Path(path)
        self.dim = dim
        self.rows = rows
        self.hnsw_threshold = hnsw_threshold
        self.vectors_path = self.path / "vectors.f32"
        self.ids_path = self.path / "ids.i64"
        self.hnsw_path = self.path / "graph.usearch"
        # One search at a time per mapped graph: usearch's Python searches share one thread context.
        self._search_lock = threading.Lock()
        self._load()

    # --- reading ---

    def _load(self) -> None:
        rows = self.rows
        if rows and self.vectors_path.exists():
            ids = np.fromfile(self.ids_path, dtype=np.int64, count=rows)
            vectors = np.memmap(self.vectors_path, dtype=np.float32, mode="r", shape=(rows, self.dim))
        else:
            ids = np.zeros(0, dtype=np.int64)
            vectors = np.zeros((0, self.dim), dtype=np.float32)
        # The last row of each id is its current vector; a removal row carries -(id + 1).
        keys = np.where(ids < 0, -ids - 1, ids)
        uniq, first_in_rev = np.unique(keys[::-1], return_index=True)
        latest = (len(ids) - 1 - first_in_rev).astype(np.int64)
        alive = ids[latest] >= 0
        uniq, latest = uniq[alive], latest[alive]
        self.sorted_ids = uniq  # sorted live ids
        self.rows_of_sorted = latest  # their rows
        self.vectors = vectors
        self.hnsw = None
        self.brute: np.ndarray | None = None
        self.brute_ids: np.ndarray | None = None
        if len(uniq) >= self.hnsw_threshold and self.hnsw_path.exists():
            index = _new_index(self.dim)
            index.view(str(self.hnsw_path))  # mapped, not read: shared by every process on the node
            self.hnsw = index
        self._ids = ids

    def __len__(self) -> int:
        return len(self.sorted_ids)

    def get(self, ids: list[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found mask, vectors of the found ids) for `ids`."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(self.sorted_ids) or not len(ids):
            return np.zeros(len(ids), dtype=bool), np.zeros((0, self.dim), dtype=np.float32)
        pos = np.searchsorted(self.sorted_ids, ids)
        pos = np.minimum(pos, len(self.sorted_ids) - 1)
        found = self.sorted_ids[pos] == ids
        if self.hnsw is not None and found.any():
            # The graph file holds every live vector already. Reading rows from vectors.f32 instead
            # made the kernel read ahead around each one: after 400 queries at 1M papers, 1.4 GB of
            # that file was resident beside the graph.
            vecs = self.hnsw.get(ids[found].astype(np.uint64))
            return found, np.asarray(vecs, dtype=np.float32).reshape(-1, self.dim)
        rows = self.rows_of_sorted[pos[found]]
        return found, np.asarray(self.vectors[rows], dtype=np.float32)

    def scores(self, query: np.ndarray, ids: list[int]) -> dict[int, float]:
        """Exact cosine of `query` with each of `ids` that has a vector."""
        found, vecs = self.get(ids)
        sims = vecs @ query if len(vecs) else []
        return {int(i): float(s) for i, s in zip(np.asarray(ids)[found], sims, strict=True)}

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The `k` nearest (id, cosine), best first."""
        n = len(self.sorted_ids)
        if not n or k <= 0:
            return []
        k = min(k, n)
        if self.hnsw is not None:
            with self._search_lock:
                self.hnsw.expansion_search = max(HNSW_EF_SEARCH, k)
                found = self.hnsw.search(np.asarray(query, dtype=np.float32), k, threads=1)
            # usearch's "ip" distance is 1 - dot product.
            return [(int(i), 1.0 - float(d)) for i, d in zip(found.keys, found.distances, strict=True)]
        if self.brute is None:
            # Built on first use (writers never search): the live rows in RAM, a scan of memory, not disk.
            order = np.sort(self.rows_of_sorted)
            self.brute = np.ascontiguousarray(self.vectors[order])
            self.brute_ids = self._ids[order]
        sims = self.brute @ query
        top = np.argpartition(-sims, k - 1)[:k] if k < n else np.arange(n)
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(int(self.brute_ids[i]), float(sims[i])) for i in top]

    # --- writing (one writer at a time: the caller holds the index lock) ---

    def remove(self, ids: list[int]) -> int:
        ids = np.asarray(list(ids), dtype=np.int64)
        return self.append(-ids - 1, np.zeros((len(ids), self.dim), dtype=np.float32))

    def append(self, ids: np.ndarray, vectors: np.ndarray) -> int:
        """Append rows; returns the new row count. Updates the graph if one is kept."""
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
        if not len(ids):
            return self.rows
        live_before = len(self.sorted_ids)
        self.append_rows(ids, vectors)
        self._load_without_graph()
        if len(self.sorted_ids) >= self.hnsw_threshold:
            if live_before >= self.hnsw_threshold and self.hnsw_path.exists():
                self._update_graph(ids, vectors)
            else:
                self.build_graph()
        elif self.hnsw_path.exists():
            self.hnsw_path.unlink()
        (self.path / OLD_GRAPH).unlink(missing_ok=True)
        return self.rows

    def append_rows(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Append rows to the files only (bulk loading); call finish_rows() after the last."""
        self.path.mkdir(parents=True, exist_ok=True)
        # Cut off anything past the manifest's count (a writer that died mid-append) before appending.
        for path, width in ((self.vectors_path, 4 * self.dim), (self.ids_path, 8)):
            with open(path, "ab") as fh:
                fh.truncate(self.rows * width)
        for path, data in (
            (self.vectors_path, np.ascontiguousarray(vectors, dtype=np.float32)),
            (self.ids_path, np.asarray(ids, dtype=np.int64)),
        ):
            with open(path, "ab") as fh:
                fh.write(data.tobytes())
                fh.flush()
                os.fsync(fh.fileno())
        self.rows += len(ids)

    def finish_rows(self) -> None:
        self._load_without_graph()
        if len(self.sorted_ids) >= self.hnsw_threshold:
            self.build_graph()
        elif self.hnsw_path.exists():
            self.hnsw_path.unlink()
        (self.path / OLD_GRAPH).unlink(missing_ok=True)
        self._load()

    def _load_without_graph(self) -> None:
        threshold, self.hnsw_threshold = self.hnsw_threshold, 1 << 62
        try:
            self._load()
        finally:
            self.hnsw_threshold = threshold

    def _update_graph(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        index = _new_index(self.dim)
        index.load(str(self.hnsw_path))  # a writable copy in this process; readers keep their map
        keys = np.where(ids < 0, -ids - 1, ids).astype(np.uint64)
        # A later vector for an id replaces the earlier one; a removal row takes it out.
        index.remove(np.unique(keys))
        live = ids >= 0
        if live.any():
            # The last row of each id in this batch is its vector (as in _load).
            rev_keys, first_in_rev = np.unique(keys[::-1], return_index=True)
            last = len(keys) - 1 - first_in_rev
            last = last[live[last]]
            if len(last):
                index.add(keys[last], vectors[last], threads=os.cpu_count() or 1)
        self._save_graph(index)

    def build_graph(self) -> None:
        """(Re)build the graph file from the live rows."""
        n = len(self.sorted_ids)
        index = _new_index(self.dim)  # grows as rows are added
        order = np.argsort(self.rows_of_sorted)  # read the file sequentially
        chunk = 50_000
        for start in range(0, n, chunk):
            sel = order[start : start + chunk]
            rows = self.rows_of_sorted[sel]
            vecs = np.ascontiguousarray(self.vectors[rows], dtype=np.float32)
            index.add(self.sorted_ids[sel].astype(np.uint64), vecs, threads=os.cpu_count() or 1)
        self._save_graph(index)

    def _save_graph(self, index) -> None:
        tmp = self.hnsw_path.with_suffix(".tmp")
        index.save(str(tmp))
        # A new file, not one rewritten in place: readers that mapped the old one keep reading it.
        os.replace(tmp, self.hnsw_path)
