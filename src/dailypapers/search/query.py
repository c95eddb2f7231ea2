"""Searching the catalogue: what the site, the API and digests call.

- search_papers(q, ...): hybrid BM25 + embedding search with filters, highlighting and paging.
- similar_papers(paper): nearest neighbours in embedding space.
- highlight(text, terms): matched words in <mark>.

Keeping the index current is search/indexing.py's work.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from django.utils.html import escape

from dailypapers.papers.arxiv_ids import ArxivRef, parse_arxiv_id
from dailypapers.papers.models import Paper

from .engine import Candidate
from .instance import EPOCH, embedder, get_engine
from .lexical import PLAINER, STEMMER, Filters, keywords
from .models import PaperEmbedding

MAX_QUERY_CHARS = 1000  # longer queries are cut here (the page says so)
MAX_OFFSET = 1000  # paging stops here: nobody reads result 1001, and it bounds the work per query


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
        model = embedder() if mode != "lexical" else None
        embed = partial(model.embed_query, q) if model else None  # beside BM25 (Engine.search)
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
