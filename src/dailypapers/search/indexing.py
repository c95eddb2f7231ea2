"""Keeping the search index under settings.SEARCH_DIR current with the catalogue.

- update_index(ids): keywords for new and changed papers (searchable at once), then embeddings;
  hidden and deleted papers leave the index.
- index_keywords(ids): the keyword half alone, cheap enough for a web request.
- rebuild_index(): rewrites the index files from the database without embedding anything again.
- index_status(): how much of the catalogue the index covers.

What calls update_index is search/receivers.py (papers as they change) and `dailypapers index`.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction

from dailypapers.papers.models import Authorship, Paper, PaperCategory

from .embedding import Embedder, bundled_vectors, paper_text
from .engine import Engine, SigLog
from .instance import EPOCH, embedder, get_engine, keyword_writer
from .lexical import Doc
from .models import PaperEmbedding

CHUNK = 1000  # papers read from the database at a time


def _chunks(seq: Sequence[int], n: int) -> Iterator[Sequence[int]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def _sig(*parts) -> int:
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True) or 1  # 0 means "removed"


def text_hash(model: str, text: str) -> str:
    return hashlib.blake2b(f"{model}\0{text}".encode(), digest_size=8).hexdigest()


def _hash_sig(h: str) -> int:
    return int.from_bytes(bytes.fromhex(h), "little", signed=True) or 1


def _load_docs(ids: Sequence[int]) -> tuple[dict[int, Doc], set[int]]:
    """Index documents for the papers `ids` that exist, and which of them are hidden."""
    rows = Paper.objects.filter(id__in=list(ids)).values_list(
        "id", "title", "abstract", "published_at", "github_repo", "hidden"
    )
    authors: dict[int, list[str]] = {}
    for pid, name in (
        Authorship.objects.filter(paper_id__in=list(ids))
        .order_by("paper_id", "position")
        .values_list("paper_id", "name")
    ):
        authors.setdefault(pid, []).append(name)
    cats: dict[int, list[str]] = {}
    for pid, code in PaperCategory.objects.filter(paper_id__in=list(ids)).values_list(
        "paper_id", "category_id"
    ):
        cats.setdefault(pid, []).append(code)
    docs, hidden = {}, set()
    for pid, title, abstract, published, repo, is_hidden in rows:
        day = (published.date() - EPOCH).days if published else None
        docs[pid] = Doc(
            pid, title, abstract, authors.get(pid, []), sorted(cats.get(pid, [])), day, bool(repo)
        )
        if is_hidden:
            hidden.add(pid)
    return docs, hidden


def _doc_sig(d: Doc) -> int:
    return _sig(d.title, d.abstract, d.authors, d.categories, d.day, d.has_code)


def _progress(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="paper", disable=not enabled, dynamic_ncols=True)


def update_index(
    paper_ids: Iterable[int] | None = None,
    *,
    progress: bool = False,
    batch_size: int = 128,
    lock_timeout: float | None = None,
) -> None:
    """Bring the search index up to date for `paper_ids` (None: every paper).

    New and changed papers are indexed for keywords first (searchable at once), then embedded in
    batches, each committed to the database, so an interrupted run resumes where it stopped. Hidden
    and deleted papers leave the index. Safe to run from several processes: one writes at a time;
    with `lock_timeout`, IndexBusy when another writer is still at work after that many seconds.
    """
    engine = get_engine()
    model = embedder()
    with engine.locked(timeout=lock_timeout):
        ids = _ids_to_index(paper_ids)
        if not ids and paper_ids is not None:
            return
        if model and engine.manifest.get("model") not in ("", model.name) and engine.has_vectors():
            _rebuild_locked(engine, progress)  # another model: vectors from the old one must go
        visible = _index_keywords(engine, ids, progress)
        gone = set(ids).difference(visible)
        if paper_ids is None:
            gone |= _drop_deleted(engine, known=set(ids))
        engine.drop_vectors(gone)
        if model is not None:
            _index_embeddings(engine, model, visible, progress, batch_size)


def index_keywords(paper_ids: Iterable[int], *, lock_timeout: float | None = None) -> None:
    """Index `paper_ids` for keywords only (hidden ones leave the keyword index): what a web
    request can afford. Their vectors wait for update_index. IndexBusy as for update_index."""
    engine = keyword_writer()
    with engine.locked(timeout=lock_timeout):
        _index_keywords(engine, _ids_to_index(paper_ids), progress=False)


def _ids_to_index(paper_ids: Iterable[int] | None) -> list[int]:
    if paper_ids is None:
        return list(Paper.objects.order_by("id").values_list("id", flat=True))
    return sorted({int(i) for i in paper_ids if i is not None})


def _index_keywords(engine: Engine, ids: list[int], progress: bool) -> list[int]:
    """Index the new and changed papers of `ids` for keywords and drop the hidden and deleted ones
    from the keyword index; the ids that stay visible."""
    started = time.time()
    indexed = engine.doc_sigs()
    visible: list[int] = []
    bar = _progress(len(ids), "keywords", progress)
    for chunk in _chunks(ids, CHUNK * 5):
        visible += _index_keyword_chunk(engine, chunk, indexed)
        bar.update(len(chunk))
    bar.close()
    _mark_pass(engine.root, started)
    return visible


PASS_MARK = "keywords_pass"  # its mtime: when the last keyword pass began (/healthz reads it)


def _mark_pass(root: Path, started: float) -> None:
    # The start, not the end: a paper committed during the pass may have been missed by it.
    mark = root / PASS_MARK
    mark.touch()
    os.utime(mark, (started, started))


def last_keyword_pass() -> float | None:
    """When the newest keyword pass (or rebuild) of the index began, as a Unix time; None: never.
    One stat, without opening the index: cheap enough for every health check."""
    try:
        return (Path(settings.SEARCH_DIR) / PASS_MARK).stat().st_mtime
    except OSError:
        return None


def _index_keyword_chunk(engine: Engine, chunk: Sequence[int], indexed: dict[int, int]) -> list[int]:
    docs, hidden = _load_docs(chunk)
    changed, sigs, remove, visible = [], {}, [], []
    for pid in chunk:
        d = docs.get(pid)
        if d is None or pid in hidden:
            if indexed.get(pid, 0) != 0:
                remove.append(pid)
            continue
        visible.append(pid)
        sig = _doc_sig(d)
        if indexed.get(pid) != sig:
            changed.append(d)
            sigs[pid] = sig
    engine.write_docs(changed, sigs, remove, threads=1)
    return visible


def _drop_deleted(engine: Engine, known: set[int]) -> set[int]:
    """Drop the keywords of papers no longer in the catalogue; their ids (and those of vectors
    left from them)."""
    stale = [pid for pid, s in engine.doc_sigs().items() if s != 0 and pid not in known]
    engine.write_docs([], {}, stale)
    return set(stale) | {pid for pid, s in engine.vec_sigs().items() if s != 0 and pid not in known}


def _index_embeddings(
    engine: Engine, model: Embedder, ids: list[int], progress: bool, batch_size: int
) -> None:
    """Give the index a vector for each paper of `ids` whose text it has no vector of yet."""
    if engine.manifest.get("model") != model.name:
        engine._write_manifest({**engine.manifest, "model": model.name})
    indexed = engine.vec_sigs()
    bar = _progress(len(ids), "embeddings", progress)
    for chunk in _chunks(ids, CHUNK):
        texts = {
            pid: paper_text(title, abstract)
            for pid, title, abstract in Paper.objects.filter(id__in=list(chunk)).values_list(
                "id", "title", "abstract"
            )
        }
        hashes = {pid: text_hash(model.name, t) for pid, t in texts.items()}
        todo = [pid for pid in chunk if pid in hashes and indexed.get(pid) != _hash_sig(hashes[pid])]
        bar.update(len(chunk) - len(todo))
        for batch in _chunks(todo, batch_size):
            vectors = _vectors(model, batch, texts, hashes)
            engine.write_vectors(
                list(batch),
                np.stack([vectors[pid] for pid in batch]),
                [_hash_sig(hashes[pid]) for pid in batch],
            )
            bar.update(len(batch))
    bar.close()


def _vectors(
    model: Embedder, batch: Sequence[int], texts: dict[int, str], hashes: dict[int, str]
) -> dict[int, np.ndarray]:
    """The vectors of `batch`: those stored for the same text, the others embedded now and stored
    (committed, so that an interrupted run resumes after them)."""
    stored = {
        e.paper_id: e for e in PaperEmbedding.objects.filter(paper_id__in=list(batch), model=model.name)
    }
    fresh = [pid for pid in batch if pid not in stored or stored[pid].text_hash != hashes[pid]]
    vectors = {pid: stored[pid].as_array() for pid in batch if pid not in fresh}
    if not fresh:
        return vectors
    shipped = bundled_vectors(hashes[pid] for pid in fresh)
    run = [pid for pid in fresh if hashes[pid] not in shipped]
    embedded = dict(zip(run, model.embed([texts[pid] for pid in run]), strict=True))
    rows = []
    for pid in fresh:
        vec = embedded[pid] if pid in embedded else shipped[hashes[pid]]
        vectors[pid] = vec
        rows.append(
            PaperEmbedding(paper_id=pid, model=model.name, text_hash=hashes[pid], vector=vec.tobytes())
        )
    with transaction.atomic():
        PaperEmbedding.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["paper"],
            update_fields=["model", "text_hash", "vector", "embedded_at"],
        )
    return vectors


def rebuild_index(*, progress: bool = False) -> None:
    """Rewrite every index file from the database (keywords and stored embeddings; nothing re-embedded).

    Readers keep answering from the old files until the new ones are complete.
    """
    engine = get_engine()
    with engine.locked():
        _rebuild_locked(engine, progress)


def _rebuild_locked(engine: Engine, progress: bool) -> None:
    started = time.time()
    model_now = embedder()
    model = model_now.name if model_now else engine.model
    staging = engine.start_rebuild()
    staging.model = model
    staging.manifest["model"] = model
    ids = list(Paper.objects.filter(hidden=False).order_by("id").values_list("id", flat=True))
    _rebuild_keywords(staging, ids, progress)
    if model:
        _rebuild_vectors(staging, ids, model, progress)
    engine.finish_rebuild(staging)
    _mark_pass(engine.root, started)


def _rebuild_keywords(staging: Engine, ids: list[int], progress: bool) -> None:
    bar = _progress(len(ids), "keywords", progress)
    for chunk in _chunks(ids, CHUNK * 20):
        docs, hidden = _load_docs(chunk)
        keep = [d for pid, d in docs.items() if pid not in hidden]
        staging.write_docs(keep, {d.id: _doc_sig(d) for d in keep}, threads=2)
        bar.update(len(chunk))
    bar.close()


def _rebuild_vectors(staging: Engine, ids: list[int], model: str, progress: bool) -> None:
    """The stored embeddings of `ids` by `model`, into the staging generation."""
    bar = _progress(len(ids), "vectors", progress)
    for chunk in _chunks(ids, CHUNK * 10):
        rows = PaperEmbedding.objects.filter(paper_id__in=list(chunk), model=model).values_list(
            "paper_id", "text_hash", "vector"
        )
        got = [(pid, h, np.frombuffer(bytes(v), dtype=np.float32)) for pid, h, v in rows]
        got = [g for g in got if len(g[2]) == staging.dim]
        if got:
            staging.vectors.append_rows(
                np.array([g[0] for g in got], dtype=np.int64), np.stack([g[2] for g in got])
            )
            SigLog(staging.gen_path, "vecsig").append({g[0]: _hash_sig(g[1]) for g in got})
        bar.update(len(chunk))
    bar.close()
    staging.vectors.finish_rows()
    staging.manifest["rows"] = staging.vectors.rows


def index_status() -> dict:
    """How much of the catalogue the index covers."""
    engine = get_engine()
    return {
        "documents": engine.lexical.num_docs(),
        "vectors": len(engine.vectors),
        "model": engine.manifest.get("model", ""),
        "path": str(engine.gen_path),
    }
