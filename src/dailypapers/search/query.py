"""Searching the catalogue: what the site, the API and digests call.

- search_papers(q, ...): hybrid BM25 + embedding search with filters, highlighting and paging (each
  page a slice of one ranking of the query, RANK_DEPTH deep).
- latest_papers(...): no query, the same filters and paging: the newest papers first.
- similar_papers(paper): nearest neighbours in embedding space.
- highlight(text, terms): matched words in <mark>.

Keeping the index current is search/indexing.py's work.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from django.conf import settings
from django.utils.html import escape

from dailypapers.papers.arxiv_ids import ArxivRef, parse_arxiv_id
from dailypapers.papers.models import Paper, load_card_extras

from .admission import search_slot
from .embedding import Embedder
from .engine import RANK_DEPTH, Candidate, Ranking
from .instance import EPOCH, embedder, get_engine
from .lexical import PLAINER, STEMMER, Filters, keywords
from .models import PaperEmbedding
from .phrasing import topic_of

MAX_QUERY_CHARS = 1000  # longer queries are cut here (the page says so)
MAX_OFFSET = RANK_DEPTH  # paging stops at the end of the one ranking: nobody reads result 1001
MAX_LIMIT = 120  # results one call returns at most (the API's search pages hold up to 120, as Hugging Face's)


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
    total: int = 0  # papers that match: those ranked, or (total_exact False) at least this many
    total_exact: bool = True  # False: at least `total` papers match (common words are not all counted)
    ranked: int = 0  # papers that paging reaches (== total when total_exact): pages are slices of these
    query: str = ""
    mode: str = "hybrid"  # "hybrid", "lexical" while papers have no vectors yet, "latest" (no query)
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
    return {p.id: p for p in load_card_extras(qs)}


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

    The query is ranked once, RANK_DEPTH deep, whatever the page: `offset` and `limit` take a slice of
    that ranking, so the pages of a query never repeat a paper and all give the same total. Words that
    only phrase the request ("papers that ...", see phrasing.py) are not searched for.
    `mode` may be "lexical" or "dense" to use one side only. Hidden papers never appear.
    """
    q = (q or "").strip()
    truncated = len(q) > MAX_QUERY_CHARS
    q = q[:MAX_QUERY_CHARS]
    results = SearchResults(query=q, truncated=truncated)
    limit = max(0, min(int(limit), MAX_LIMIT))
    offset = max(0, min(int(offset), MAX_OFFSET))
    if not q or not limit:
        return results
    f = _filters(since, until, categories, has_code)
    topic = topic_of(q)
    ref = parse_arxiv_id(q)
    at_least = 0  # how many papers match at least, when the ranking does not hold them all
    if ref:
        results.arxiv_ref, results.mode = ref, "lexical"
        ordered = _by_arxiv_id(ref, f)
    else:
        ranking = _ranked(q, topic, f, mode)
        results.mode, results.total_exact = ranking.mode, ranking.total_exact
        # Visibility is checked on every call: a paper hidden a moment ago leaves a cached ranking too.
        ordered = _visible(ranking.candidates)
        at_least = 0 if ranking.total_exact else ranking.total
    results.ranked = len(ordered)
    results.total = max(at_least, len(ordered))
    window = ordered[offset : offset + limit]
    papers = _papers([c.id for c in window])
    results.hits = [_hit(papers[c.id], c, topic) for c in window if c.id in papers]
    return results


def latest_papers(
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    categories: list[str] | None = None,
    has_code: bool | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchResults:
    """No query: the visible papers that pass the filters, newest first version first (what Hugging
    Face's search answers without `q`). Paging reaches as deep as a query's ranking does (MAX_OFFSET),
    so one rule holds for both; `total` counts them all. Dates are UTC days, as in search_papers.
    A paper without a publication date has no place in that order and is left out, which lets the
    database walk its published_at index backwards instead of sorting the catalogue."""
    limit = max(0, min(int(limit), MAX_LIMIT))
    offset = max(0, min(int(offset), MAX_OFFSET))
    papers = Paper.objects.visible().filter(published_at__isnull=False)
    if since:
        papers = papers.filter(published_at__gte=dt.datetime.combine(since, dt.time(), dt.UTC))
    if until:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
        papers = papers.filter(published_at__lt=end)
    if codes := [c for c in (categories or []) if c]:
        papers = papers.filter(id__in=Paper.objects.filter(categories__code__in=codes).values("id"))
    if has_code is not None:
        papers = papers.exclude(github_repo="") if has_code else papers.filter(github_repo="")
    total = papers.count()
    results = SearchResults(total=total, ranked=min(total, RANK_DEPTH), mode="latest")
    if not limit:
        return results
    newest = papers.order_by("-published_at", "-id")
    window = load_card_extras(newest.select_related("primary_category").for_cards()[offset : offset + limit])
    results.hits = [Hit(paper=p, score=0.0, title_html=escape(p.title), abstract_html="") for p in window]
    return results


def _by_arxiv_id(ref: ArxivRef, f: Filters) -> list[Candidate]:
    """The paper with that id, alone (when it passes the filters). An id is not words to look for:
    its digits would match unrelated papers."""
    paper = Paper.objects.visible().by_ref(ref)
    if paper is None or (f and not _passes(paper, f)):
        return []
    return [Candidate(paper.id, score=1.0, match="arXiv id")]


_RANKINGS_KEPT = 128  # rankings per process (each up to RANK_DEPTH candidates, ~0.2 MB)
_EMBEDDINGS_KEPT = 2048  # query embeddings per process (1.5 KB each)
_rankings: OrderedDict[tuple, tuple[float, Ranking]] = OrderedDict()
_embeddings: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_cache_lock = threading.Lock()


def _ranked(q: str, topic: str, f: Filters, mode: str) -> Ranking:
    """The ranking of `q` with exact titles first, from this process's cache while the index is
    unchanged and SEARCH_CACHE_SECONDS have not passed; otherwise computed in a search slot
    (admission.py: raises SearchBusy when the process is running as many searches as it may).

    The cache is per process, beside the index files it was computed from: each web node has its own
    index, so a ranking is not shared through the site's cache. The key holds the index manifest,
    which every write to the index changes, so a new paper is never missing from a cached ranking."""
    engine = get_engine()
    categories = tuple(f.categories or ())
    key = (str(engine.root), json.dumps(engine.manifest, sort_keys=True), q, mode, f.since_day, f.until_day)
    key += (categories, f.has_code)
    ttl = settings.SEARCH_CACHE_SECONDS
    now = time.monotonic()
    with _cache_lock:
        kept = _rankings.get(key)
        if kept and kept[0] > now:
            _rankings.move_to_end(key)
            return kept[1]
    with search_slot():
        ranking = _rank(topic, f, mode)
        ranking = dataclasses.replace(ranking, candidates=_with_exact_titles(ranking.candidates, q, f))
    if ttl > 0:
        with _cache_lock:
            _rankings[key] = (now + ttl, ranking)
            _rankings.move_to_end(key)
            while len(_rankings) > _RANKINGS_KEPT:
                _rankings.popitem(last=False)
    return ranking


def _embed_query(model: Embedder, text: str) -> np.ndarray:
    """The model's embedding of `text`, kept per process: the same words with other filters, or in
    another phrasing ("papers on X" is X), cost no second run of the model."""
    key = (model.name, text)
    with _cache_lock:
        if (vector := _embeddings.get(key)) is not None:
            _embeddings.move_to_end(key)
            return vector
    vector = model.embed_query(text)
    vector.setflags(write=False)  # shared between threads
    with _cache_lock:
        _embeddings[key] = vector
        while len(_embeddings) > _EMBEDDINGS_KEPT:
            _embeddings.popitem(last=False)
    return vector


def _rank(topic: str, f: Filters, mode: str) -> Ranking:
    """The one ranking of a query's topic, BM25 beside the embedding of the same words."""
    model = embedder() if mode != "lexical" else None
    embed = partial(_embed_query, model, topic) if model else None  # beside BM25 (Engine.search)
    return get_engine().search(topic, embed, f, depth=RANK_DEPTH, mode=mode)


def _with_exact_titles(ranked: list[Candidate], q: str, f: Filters) -> list[Candidate]:
    """`ranked` with the papers whose whole title is `q` moved first (each paper once)."""
    by_id = {c.id: c for c in ranked}
    pinned = []
    for paper_id in get_engine().lexical.exact_title(q, f):
        same = by_id.get(paper_id) or Candidate(paper_id)
        pinned.append(dataclasses.replace(same, score=1.0, match="title"))
    pinned_ids = {c.id for c in pinned}
    return pinned + [c for c in ranked if c.id not in pinned_ids]


def _visible(ranked: list[Candidate]) -> list[Candidate]:
    """Those of `ranked` still shown (the index may not have dropped a paper hidden a moment ago)."""
    ids = [c.id for c in ranked]
    visible = set(Paper.objects.visible().filter(id__in=ids).values_list("id", flat=True))
    return [c for c in ranked if c.id in visible]


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
