"""Search over the catalogue: what the site, the API and digests call.

- search_papers(q, ...): hybrid BM25 + embedding search with filters, highlighting and paging.
- similar_papers(paper): nearest neighbours in embedding space.
- update_index(ids): embeds what is missing and brings the index files under SEARCH_DIR up to date.
- rebuild_index(): rewrites the index files from the database without embedding anything again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils.html import escape

from dailypapers.papers.arxiv_ids import ArxivRef, parse_arxiv_id
from dailypapers.papers.models import Authorship, Paper, PaperCategory

from .embedding import ModelMissing, get_embedder, paper_text
from .engine import Candidate, Engine, Fusion, SigLog
from .lexical import PLAINER, STEMMER, Doc, Filters, keywords
from .models import PaperEmbedding

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 1000  # longer queries are cut here (the page says so)
MAX_OFFSET = 1000  # paging stops here: nobody reads result 1001, and it bounds the work per query
EPOCH = dt.date(1970, 1, 1)


@dataclass
class Hit:
    """One search result: the paper, its fused score, highlighted text and why it ranks here."""

    paper: Paper
    score: float
    title_html: str  # escaped title with matched words in <mark>
    abstract_html: str  # escaped abstract excerpt with matched words in <mark>
    lexical_rank: int | None = None
    lexical_score: float | None = None
    dense_rank: int | None = None
    dense_score: float | None = None
    match: str = ""  # "arXiv id" or "title" for an exact match shown first

    @property
    def explanation(self) -> str:
        if self.match:
            return f"Exact {self.match} match"
        parts = []
        if self.lexical_rank:
            parts.append(f"keyword rank {self.lexical_rank} (BM25 {self.lexical_score:.2f})")
        if self.dense_rank:
            parts.append(f"semantic rank {self.dense_rank}")
        if self.dense_score is not None:
            parts.append(f"similarity {self.dense_score:.2f}")
        return "; ".join(parts) or "match"


@dataclass
class SearchResults:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    total_exact: bool = True  # False: at least `total` papers match (common words are not all counted)
    query: str = ""
    mode: str = "hybrid"  # "hybrid", or "lexical" while papers have no vectors yet
    truncated: bool = False  # the query was longer than MAX_QUERY_CHARS and was cut
    arxiv_ref: ArxivRef | None = None  # the query was an arXiv id (found or not)


# --- the engine and model, one per process ---

_engine: Engine | None = None
_engine_lock = threading.RLock()


def _fusion() -> Fusion:
    return Fusion(lexical_weight=settings.SEARCH_LEXICAL_WEIGHT)


def _embedder():
    """The embedding model, or None when semantic search is off or the model cannot load."""
    if not settings.SEARCH_SEMANTIC:
        return None
    try:
        return get_embedder()
    except (ModelMissing, OSError, RuntimeError) as exc:  # a bad model folder must not break search
        log.warning("semantic search off: %s", exc)
        return None


def get_engine() -> Engine:
    """The engine over settings.SEARCH_DIR, reopened when another process has changed its files."""
    global _engine
    root = Path(settings.SEARCH_DIR)
    with _engine_lock:
        embedder = _embedder()
        dim, model = (embedder.dim, embedder.name) if embedder else (384, "")
        if _engine is None or _engine.root != root or (model and _engine.model != model):
            _engine = Engine(
                root, dim=dim, model=model, hnsw_threshold=settings.SEARCH_HNSW_THRESHOLD, fusion=_fusion()
            )
        else:
            _engine.fusion = _fusion()
            _engine.refresh()
        return _engine


def reset() -> None:
    """Forget the open engine (tests switch SEARCH_DIR)."""
    global _engine
    with _engine_lock:
        _engine = None


# --- searching ---


def _filters(since, until, categories, has_code) -> Filters:
    return Filters(
        since_day=(since - EPOCH).days if since else None,
        until_day=(until - EPOCH).days if until else None,
        categories=[c for c in (categories or []) if c] or None,
        has_code=has_code,
    )


def _papers(ids: Sequence[int]) -> dict[int, Paper]:
    qs = Paper.objects.visible().filter(id__in=list(ids)).select_related("primary_category").for_cards()
    return {p.id: p for p in qs}


def _passes(paper: Paper, f: Filters) -> bool:
    if f.has_code is not None and bool(paper.github_repo) != f.has_code:
        return False
    if f.since_day is not None or f.until_day is not None:
        if not paper.published_at:
            return False
        day = (paper.published_at.date() - EPOCH).days
        if f.since_day is not None and day < f.since_day:
            return False
        if f.until_day is not None and day > f.until_day:
            return False
    return not f.categories or bool({c.code for c in paper.categories.all()} & set(f.categories))


def search_papers(
    q: str,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    categories: list[str] | None = None,
    has_code: bool | None = None,
    limit: int = 20,
    offset: int = 0,
    mode: str = "hybrid",
) -> SearchResults:
    """Papers for `q`, best first: an exact arXiv id or title first, then BM25 and embeddings fused.

    `mode` may be "lexical" or "dense" to use one side only. Hidden papers never appear.
    """
    q = (q or "").strip()
    truncated = len(q) > MAX_QUERY_CHARS
    q = q[:MAX_QUERY_CHARS]
    results = SearchResults(query=q, truncated=truncated)
    limit = max(0, min(int(limit), 100))
    offset = max(0, min(int(offset), MAX_OFFSET))
    if not q or not limit:
        return results
    f = _filters(since, until, categories, has_code)

    pinned: list[Candidate] = []
    ref = parse_arxiv_id(q)
    if ref:
        results.arxiv_ref = ref
        paper = Paper.objects.visible().by_ref(ref)
        if paper is not None:
            pinned.append(Candidate(paper.id, score=1.0, match="arXiv id"))
        # An id is not words to look for: its digits would match unrelated papers.
        ranking_cands, total, results.mode = [], len(pinned), "lexical"
    else:
        engine = get_engine()
        embedder = _embedder() if mode != "lexical" else None
        embed = partial(embedder.embed_query, q) if embedder else None  # beside BM25 (Engine.search)
        ranking = engine.search(q, embed, f, depth=offset + limit + 20, mode=mode)
        results.mode = ranking.mode
        exact = engine.lexical.exact_title(q, f)
        pinned = [Candidate(i, score=1.0, match="title") for i in exact]
        ranking_cands, total = ranking.candidates, ranking.total
        results.total_exact = ranking.total_exact
        for c in pinned:
            same = next((r for r in ranking_cands if r.id == c.id), None)
            if same:
                c.lexical_rank, c.lexical_score = same.lexical_rank, same.lexical_score
                c.dense_rank, c.dense_score = same.dense_rank, same.dense_score
    pinned_ids = {c.id for c in pinned}
    ordered = pinned + [c for c in ranking_cands if c.id not in pinned_ids]
    total = max(total, len(ordered))

    # Fetch one page (plus a margin for hidden papers, which the index may not have dropped yet).
    window = ordered[offset : offset + limit + 20]
    papers = _papers([c.id for c in window])
    hits = []
    for c in window:
        paper = papers.get(c.id)
        if paper is None or (c.match == "arXiv id" and f and not _passes(paper, f)):
            continue
        hits.append(_hit(paper, c, q))
        if len(hits) == limit:
            break
    results.hits = hits
    results.total = total if hits or offset else len(hits)
    return results


def _hit(paper: Paper, c: Candidate, q: str) -> Hit:
    terms = _query_terms(q)
    return Hit(
        paper=paper,
        score=c.score,
        title_html=highlight(paper.title, terms),
        abstract_html=highlight(paper.abstract, terms, max_words=60),
        lexical_rank=c.lexical_rank,
        lexical_score=c.lexical_score,
        dense_rank=c.dense_rank,
        dense_score=c.dense_score,
        match=c.match,
    )


# --- highlighting ---

_WORD = re.compile(r"\w+", re.UNICODE)


def _query_terms(q: str) -> set[str]:
    """What to mark: the words searched for in titles and abstracts (stop words only when the
    query has nothing else), in their stemmed and plain forms."""
    return set(keywords(STEMMER.analyze(q[:MAX_QUERY_CHARS]))) | set(
        keywords(PLAINER.analyze(q[:MAX_QUERY_CHARS]))
    )


def highlight(text: str, terms: set[str], max_words: int | None = None) -> str:
    """`text` HTML-escaped with words matching `terms` (after the index's stemming) in <mark>.

    With `max_words`, an excerpt of about that many words around the first match.
    """
    text = text or ""
    words = list(_WORD.finditer(text))
    cache: dict[str, bool] = {}

    def matches(word: str) -> bool:
        key = word.lower()
        if key not in cache:
            stems = STEMMER.analyze(word) + PLAINER.analyze(word)
            cache[key] = bool(terms) and any(s in terms for s in stems)
        return cache[key]

    hits = [i for i, m in enumerate(words) if matches(m.group())]
    start_char, end_char, prefix, suffix = 0, len(text), "", ""
    if max_words and len(words) > max_words:
        first = max(0, (hits[0] if hits else 0) - 10)
        last = min(len(words), first + max_words)
        first = max(0, last - max_words)
        if first > 0:
            start_char, prefix = words[first].start(), "… "
        if last < len(words):
            end_char, suffix = words[last - 1].end(), " …"
    out, pos = [prefix], start_char
    for i in hits:
        m = words[i]
        if m.start() < start_char or m.end() > end_char:
            continue
        out.append(escape(text[pos : m.start()]))
        out.append(f"<mark>{escape(m.group())}</mark>")
        pos = m.end()
    out.append(escape(text[pos:end_char]))
    out.append(suffix)
    return "".join(out)


# --- similar papers ---


def paper_vector(paper: Paper) -> np.ndarray | None:
    engine = get_engine()
    found, vecs = engine.vectors.get([paper.id])
    if found.any():
        return vecs[0]
    emb = PaperEmbedding.objects.filter(paper=paper, model=engine.model).first()
    if emb is not None and engine.dim == len(emb.as_array()):
        return emb.as_array()
    return None


def similar_papers(paper: Paper, limit: int = 10) -> list[Paper]:
    """Papers nearest to `paper` in embedding space (by keywords of its title while it has no vector)."""
    engine = get_engine()
    vector = paper_vector(paper)
    if vector is not None:
        found = engine.similar(vector, limit + 10, exclude={paper.id})
        ids = [i for i, _ in found]
    else:
        lexical = engine.lexical.search(f"{paper.title} {paper.abstract[:300]}", limit + 11)
        ids = [i for i, _ in lexical.hits if i != paper.id]
    papers = _papers(ids)
    return [papers[i] for i in ids if i in papers][:limit]


# --- indexing ---

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
        .values_list("paper_id", "author__name")
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
    paper_ids: Iterable[int] | None = None, *, progress: bool = False, batch_size: int = 128
) -> None:
    """Bring the search index up to date for `paper_ids` (None: every paper).

    New and changed papers are indexed for keywords first (searchable at once), then embedded in
    batches, each committed to the database, so an interrupted run resumes where it stopped. Hidden
    and deleted papers leave the index. Safe to run from several processes: one writes at a time.
    """
    engine = get_engine()
    embedder = _embedder()
    with engine.locked():
        everything = paper_ids is None
        if everything:
            ids = list(Paper.objects.order_by("id").values_list("id", flat=True))
        else:
            ids = sorted({int(i) for i in paper_ids if i is not None})
        if not ids and not everything:
            return
        if embedder and engine.manifest.get("model") not in ("", embedder.name) and engine.has_vectors():
            _rebuild_locked(engine, progress)  # another model: vectors from the old one must go

        # 1. Keywords.
        doc_sigs = engine.doc_sigs()
        visible: list[int] = []
        bar = _progress(len(ids), "keywords", progress)
        for chunk in _chunks(ids, CHUNK * 5):
            docs, hidden = _load_docs(chunk)
            changed, sigs, remove = [], {}, []
            for pid in chunk:
                d = docs.get(pid)
                if d is None or pid in hidden:
                    if doc_sigs.get(pid, 0) != 0:
                        remove.append(pid)
                    continue
                visible.append(pid)
                sig = _doc_sig(d)
                if doc_sigs.get(pid) != sig:
                    changed.append(d)
                    sigs[pid] = sig
            engine.write_docs(changed, sigs, remove, threads=1)
            bar.update(len(chunk))
        bar.close()
        if everything:
            known = set(ids)
            stale = [pid for pid, s in doc_sigs.items() if s != 0 and pid not in known]
            engine.write_docs([], {}, stale)

        # 2. Embeddings.
        if embedder is None:
            return
        if engine.manifest.get("model") != embedder.name:
            engine._write_manifest({**engine.manifest, "model": embedder.name})
        vec_sigs = engine.vec_sigs()
        bar = _progress(len(visible), "embeddings", progress)
        for chunk in _chunks(visible, CHUNK):
            texts = {
                pid: paper_text(title, abstract)
                for pid, title, abstract in Paper.objects.filter(id__in=list(chunk)).values_list(
                    "id", "title", "abstract"
                )
            }
            hashes = {pid: text_hash(embedder.name, t) for pid, t in texts.items()}
            todo = [pid for pid in chunk if pid in hashes and vec_sigs.get(pid) != _hash_sig(hashes[pid])]
            bar.update(len(chunk) - len(todo))
            for batch in _chunks(todo, batch_size):
                stored = {
                    e.paper_id: e
                    for e in PaperEmbedding.objects.filter(paper_id__in=list(batch), model=embedder.name)
                }
                fresh = [pid for pid in batch if pid not in stored or stored[pid].text_hash != hashes[pid]]
                vectors = {pid: stored[pid].as_array() for pid in batch if pid not in fresh}
                if fresh:
                    embedded = embedder.embed([texts[pid] for pid in fresh])
                    rows = []
                    for pid, vec in zip(fresh, embedded, strict=True):
                        vectors[pid] = vec
                        rows.append(
                            PaperEmbedding(
                                paper_id=pid, model=embedder.name, text_hash=hashes[pid], vector=vec.tobytes()
                            )
                        )
                    with transaction.atomic():
                        PaperEmbedding.objects.bulk_create(
                            rows,
                            update_conflicts=True,
                            unique_fields=["paper"],
                            update_fields=["model", "text_hash", "vector", "embedded_at"],
                        )
                order = [pid for pid in batch if pid in vectors]
                engine.write_vectors(
                    order,
                    np.stack([vectors[pid] for pid in order]),
                    [_hash_sig(hashes[pid]) for pid in order],
                )
                bar.update(len(batch))
        bar.close()


def rebuild_index(*, progress: bool = False) -> None:
    """Rewrite every index file from the database (keywords and stored embeddings; nothing re-embedded).

    Readers keep answering from the old files until the new ones are complete.
    """
    engine = get_engine()
    with engine.locked():
        _rebuild_locked(engine, progress)


def _rebuild_locked(engine: Engine, progress: bool) -> None:
    embedder = _embedder()
    model = embedder.name if embedder else engine.model
    staging = engine.start_rebuild()
    staging.model = model
    staging.manifest["model"] = model
    ids = list(Paper.objects.filter(hidden=False).order_by("id").values_list("id", flat=True))
    bar = _progress(len(ids), "keywords", progress)
    for chunk in _chunks(ids, CHUNK * 20):
        docs, hidden = _load_docs(chunk)
        keep = [d for pid, d in docs.items() if pid not in hidden]
        staging.write_docs(keep, {d.id: _doc_sig(d) for d in keep}, threads=2)
        bar.update(len(chunk))
    bar.close()
    if model:
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
    engine.finish_rebuild(staging)


def index_status() -> dict:
    """How much of the catalogue the index covers."""
    engine = get_engine()
    return {
        "documents": engine.lexical.num_docs(),
        "vectors": len(engine.vectors),
        "model": engine.manifest.get("model", ""),
        "path": str(engine.gen_path),
    }
