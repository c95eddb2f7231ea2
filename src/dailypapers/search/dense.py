"""Nearest neighbours over paper embeddings: exact numpy below a threshold, hnswlib above it.

On disk (derived from the database, rebuildable at any time):
  vectors.f32  rows of float32 unit vectors, appended as papers are embedded
  ids.i64      the paper id of each row; a later row for the same id supersedes the earlier one,
               and a row with id -(id + 1) removes the id (hidden or deleted papers); a rebuild compacts
  hnsw.bin     the hnswlib graph over the live rows, kept only at `hnsw_threshold` rows and above

Readers open only the first `rows` rows recorded in the manifest, so appends in progress are never seen.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np

HNSW_M = 16
HNSW_EF_CONSTRUCTION = 100
HNSW_EF_SEARCH = 128


class VectorStore:
    def __init__(self, path: Path, dim: int, rows: int, hnsw_threshold: int = 20_000) -> None:
        self.path = Path(path)
        self.dim = dim
        self.rows = rows
        self.hnsw_threshold = hnsw_threshold
        self.vectors_path = self.path / "vectors.f32"
        self.ids_path = self.path / "ids.i64"
        self.hnsw_path = self.path / "hnsw.bin"
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
            import hnswlib

            index = hnswlib.Index(space="ip", dim=self.dim)
            index.load_index(str(self.hnsw_path))
            index.set_ef(HNSW_EF_SEARCH)
            index.set_num_threads(1)
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
            # The graph holds every live vector in memory already. Reading rows from the mapped file
            # instead made the kernel read ahead around each one: after 400 queries at 1M papers,
            # 1.4 GB of the file was resident beside the graph's own copy.
            return found, np.asarray(self.hnsw.get_items(ids[found]), dtype=np.float32).reshape(-1, self.dim)
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
            self.hnsw.set_ef(max(HNSW_EF_SEARCH, k))
            labels, distances = self.hnsw.knn_query(query.reshape(1, -1), k=k)
            # hnswlib's "ip" distance is 1 - dot product.
            return [(int(i), 1.0 - float(d)) for i, d in zip(labels[0], distances[0], strict=True)]
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
        self._load()

    def _load_without_graph(self) -> None:
        threshold, self.hnsw_threshold = self.hnsw_threshold, 1 << 62
        try:
            self._load()
        finally:
            self.hnsw_threshold = threshold

    def _update_graph(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        import hnswlib

        index = hnswlib.Index(space="ip", dim=self.dim)
        index.load_index(str(self.hnsw_path), allow_replace_deleted=True)
        live = ids >= 0
        if live.any():
            needed = index.get_current_count() + int(live.sum())
            if needed > index.get_max_elements():
                index.resize_index(max(needed, int(index.get_max_elements() * 1.25)))
            # Adding an existing label replaces its vector (and revives it if it was deleted).
            for label in ids[live]:
                with contextlib.suppress(RuntimeError):  # not deleted, or new
                    index.unmark_deleted(int(label))
            index.add_items(vectors[live], ids[live])
        for label in ids[~live]:
            with contextlib.suppress(RuntimeError):  # never was in the graph
                index.mark_deleted(int(-label - 1))
        self._save_graph(index)

    def build_graph(self) -> None:
        """(Re)build hnsw.bin from the live rows."""
        import hnswlib

        n = len(self.sorted_ids)
        index = hnswlib.Index(space="ip", dim=self.dim)
        index.init_index(max_elements=max(n, 1), ef_construction=HNSW_EF_CONSTRUCTION, M=HNSW_M)
        index.set_num_threads(os.cpu_count() or 1)
        order = np.argsort(self.rows_of_sorted)  # read the file sequentially
        chunk = 50_000
        for start in range(0, n, chunk):
            sel = order[start : start + chunk]
            rows = self.rows_of_sorted[sel]
            index.add_items(np.asarray(self.vectors[rows], dtype=np.float32), self.sorted_ids[sel])
        self._save_graph(index)

    def _save_graph(self, index) -> None:
        tmp = self.hnsw_path.with_suffix(".tmp")
        index.save_index(str(tmp))
        os.replace(tmp, self.hnsw_path)
