"""BM25 retrieval with tantivy over title (boosted), abstract and authors.

Queries are built term by term from the user's words (never through tantivy's query parser), so
quotes, operators, field names or 10 kB of text in a query are only words to look for.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import tantivy

from .pool import submit

STEM = "dp_en"  # lower case, ASCII folding, English stemming: "networks" finds "network"
PLAIN = "dp_plain"  # lower case and ASCII folding only: author names are not stemmed
MAX_QUERY_TERMS = 32  # a pasted abstract is cut to its first words, not refused
# Counting every match reads every posting list in full and stops tantivy from skipping blocks that
# cannot reach the top hits (block-max WAND): at 1M papers that was most of a query's time. Matches are
# counted exactly only while the query's posting lists hold at most this many entries in all;
# above it the total is a lower bound ("more than N").
COUNT_BUDGET = 20_000
# Writer heap per indexing thread; tantivy needs at least 15 MB.
WRITER_HEAP = 64_000_000


def _analyzer(stem: bool) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


STEMMER = _analyzer(stem=True)
PLAINER = _analyzer(stem=False)

# Words left out of the title and abstract clauses (Lucene's English stop set, plus a few that every
# abstract holds). Nearly every paper contains them, so they add almost nothing to a BM25 score, but
# their posting lists are the longest: at 1M papers, dropping them cut the term union from 10.4 to
# 3.8 ms p50. Title phrases, exact titles and author names still use every word.
STOPWORDS = frozenset(
    "a an and are as at be but by for from if in into is it its no not of on or our such that the their "  # noqa: SIM905
    "then there these they this to via was we will with".split()
)
_STOPS = STOPWORDS | {stem for word in STOPWORDS for stem in STEMMER.analyze(word)}


def keywords(words: list[str]) -> list[str]:
    """The distinct words (stemmed or plain) worth looking up in titles and abstracts: all but stop
    words, unless the query has nothing else ("to be or not to be")."""
    kept = [word for word in dict.fromkeys(words) if word not in _STOPS]
    return kept or list(dict.fromkeys(words))


def query_words(text: str) -> tuple[list[str], list[str]]:
    """(plain words, stems) of a query, position by position, cut to MAX_QUERY_TERMS."""
    text = text[:4000]
    return PLAINER.analyze(text)[:MAX_QUERY_TERMS], STEMMER.analyze(text)[:MAX_QUERY_TERMS]


def title_key(title: str) -> str:
    """A title reduced for exact matching: case, accents, punctuation and spacing do not count."""
    text = unicodedata.normalize("NFKD", title or "").encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


@dataclass
class Doc:
    """One searchable item (a paper, or a SciFact document in bench/eval_search.py)."""

    id: int
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    day: int | None = None  # days since 1970-01-01 of first publication
    has_code: bool = False


@dataclass
class Filters:
    since_day: int | None = None
    until_day: int | None = None
    categories: list[str] | None = None
    has_code: bool | None = None

    def __bool__(self) -> bool:
        return bool(
            self.since_day is not None
            or self.until_day is not None
            or self.categories
            or self.has_code is not None
        )


@dataclass
class LexicalHits:
    """Top hits of a BM25 query and how many documents match: exactly, or at least `total`."""

    hits: list[tuple[int, float]] = field(default_factory=list)  # (id, BM25 score), best first
    total: int = 0
    exact: bool = True


@dataclass
class Weights:
    """Field boosts of the BM25 query (tuned on SciFact training queries; see README).

    The body field holds title and abstract together, so `title` is a boost on top of plain BM25
    over the whole text: 0.3 measured best on SciFact (0.0: 0.861, 0.3: 0.860-0.863, 1.5: 0.81 nDCG@10).
    Whole titles typed in are matched exactly and pinned first, and title phrases are boosted.
    """

    title: float = 0.3
    abstract: float = 1.0
    authors: float = 1.5
    title_phrase: float = 2.0
    author_phrase: float = 4.0
    fuzzy: float = 1.0  # a title word found within an edit or two counts like a body word


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_integer_field("id", stored=True, indexed=True, fast=True)
    b.add_text_field("title", tokenizer_name=STEM)
    b.add_text_field("abstract", tokenizer_name=STEM)
    b.add_text_field("authors", tokenizer_name=PLAIN)
    b.add_text_field("title_key", tokenizer_name="raw", index_option="basic")
    b.add_text_field("categories", tokenizer_name="raw", index_option="basic")
    b.add_integer_field("day", indexed=True, fast=True)
    b.add_integer_field("has_code", indexed=True, fast=True)
    return b.build()


class LexicalIndex:
    """A tantivy index in `path`. Readers see the last commit after `reload()`."""

    def __init__(self, path: Path, weights: Weights | None = None) -> None:
        self.path = Path(path)
        self.weights = weights or Weights()
        self.path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        self.index.register_tokenizer(STEM, _analyzer(stem=True))
        self.index.register_tokenizer(PLAIN, _analyzer(stem=False))
        self._searcher: tantivy.Searcher | None = None

    @classmethod
    def create(cls, path: Path, weights: Weights | None = None) -> LexicalIndex:
        if Path(path).exists():
            shutil.rmtree(path)
        return cls(path, weights)

    # --- writing ---

    def write(self, docs: list[Doc], delete_ids: list[int] = (), threads: int = 1) -> None:
        """Add or replace `docs` and drop `delete_ids`, in one commit."""
        writer = self.index.writer(heap_size=WRITER_HEAP * max(threads, 1), num_threads=threads)
        try:
            for doc_id in delete_ids:
                writer.delete_documents_by_term("id", int(doc_id))
            for d in docs:
                writer.delete_documents_by_term("id", int(d.id))
                writer.add_document(self._document(d))
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        self.reload()

    @staticmethod
    def _document(d: Doc) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_integer("id", int(d.id))
        doc.add_text("title", d.title or "")
        # The body holds the title too: BM25 over the whole text, the title field adds its boost on top.
        doc.add_text("abstract", f"{d.title or ''}\n{d.abstract or ''}")
        for name in d.authors:
            doc.add_text("authors", name)
        doc.add_text("title_key", title_key(d.title))
        for code in d.categories:
            doc.add_text("categories", code)
        doc.add_integer("day", d.day if d.day is not None else -(10**6))
        doc.add_integer("has_code", 1 if d.has_code else 0)
        return doc

    # --- reading ---

    def reload(self) -> None:
        self.index.reload()
        self._searcher = None

    @property
    def searcher(self) -> tantivy.Searcher:
        if self._searcher is None:
            self._searcher = self.index.searcher()
        return self._searcher

    def num_docs(self) -> int:
        return self.searcher.num_docs

    def _filter_clauses(self, filters: Filters | None) -> list:
        if not filters:
            return []
        s, clauses = self.schema, []
        if filters.since_day is not None or filters.until_day is not None:
            lo = filters.since_day if filters.since_day is not None else -(10**6) + 1
            hi = filters.until_day if filters.until_day is not None else 10**7
            clauses.append(tantivy.Query.range_query(s, "day", tantivy.FieldType.Integer, lo, hi))
        if filters.categories:
            clauses.append(tantivy.Query.term_set_query(s, "categories", list(filters.categories)))
        if filters.has_code is not None:
            clauses.append(tantivy.Query.term_query(s, "has_code", 1 if filters.has_code else 0))
        # Filters select; they must not add to the BM25 score.
        return [(tantivy.Occur.Must, tantivy.Query.const_score_query(q, 0.0)) for q in clauses]

    def _known(self, stem: str) -> bool:
        sr = self.searcher
        return bool(sr.doc_freq("title", stem) or sr.doc_freq("abstract", stem))

    def build_query(self, text: str, filters: Filters | None = None) -> tantivy.Query | None:
        """The BM25 query for `text` as one boolean query, or None when it has no searchable words."""
        parts = self._parts(query_words(text))
        if parts is None:
            return None
        clauses = parts[0] + parts[1]
        return self._filtered(tantivy.Query.boolean_query(clauses), filters)

    def _parts(self, words: tuple[list[str], list[str]]) -> tuple[list, list] | None:
        """(term clauses, phrase and typo clauses) of the query for `query_words`; None without words."""
        plain, stems = words
        if not plain:
            return None
        s, w, Q, Should = self.schema, self.weights, tantivy.Query, tantivy.Occur.Should
        terms, extras = [], []
        for stem in keywords(stems):
            terms.append((Should, Q.boost_query(Q.term_query(s, "title", stem), w.title)))
            terms.append((Should, Q.boost_query(Q.term_query(s, "abstract", stem), w.abstract)))
        for word in dict.fromkeys(plain):
            terms.append((Should, Q.boost_query(Q.term_query(s, "authors", word), w.authors)))
        # Typo tolerance: a word no title or abstract contains is looked for in titles within an edit
        # (two for words of 10+ letters), and in author names within one. (Not in abstracts: their
        # dictionary makes a distance-2 automaton cost tens of milliseconds at 100k papers. Two edits
        # from 8 letters on made typo'd titles 27 ms p50 / 54 ms p99 at 1M papers, from 10 letters
        # 21 / 45 ms, finding the same papers.)
        for word, stem in zip(plain, stems, strict=False):
            if len(word) >= 4 and not word.isdigit() and not self._known(stem):
                distance = 1 if len(word) < 10 else 2
                fuzzy = Q.fuzzy_term_query(s, "title", stem, distance=distance, transposition_cost_one=True)
                extras.append((Should, Q.boost_query(fuzzy, w.fuzzy)))
                fuzzy = Q.fuzzy_term_query(s, "authors", word, distance=1, transposition_cost_one=True)
                extras.append((Should, Q.boost_query(fuzzy, w.fuzzy * w.authors)))
        if 2 <= len(stems) <= 12:
            phrase = Q.phrase_query(s, "title", stems, slop=1)
            extras.append((Should, Q.boost_query(phrase, w.title_phrase)))
        if 2 <= len(plain) <= 4:
            phrase = Q.phrase_query(s, "authors", plain, slop=1)
            extras.append((Should, Q.boost_query(phrase, w.author_phrase)))
        return terms, extras

    def _filtered(self, query: tantivy.Query, filters: Filters | None) -> tantivy.Query:
        filter_clauses = self._filter_clauses(filters)
        if filter_clauses:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), *filter_clauses])
        return query

    def search(self, text: str, limit: int, filters: Filters | None = None) -> LexicalHits:
        """Top `limit` (id, BM25 score) for `text`, and how many documents match (see COUNT_BUDGET).

        The score is that of the one boolean query (`build_query`), computed in two parts: a union of
        plain term clauses runs on tantivy's specialised term-union scorer (anything else in the union
        makes it fall back to a generic one, twice as slow at 1M papers), and the phrase and typo
        clauses, which match few documents, run as a second query whose scores are added. Candidates:
        the top of both; those found only by the second get their term score by a lookup on their ids.
        """
        words = query_words(text)
        parts = self._parts(words)
        if parts is None or limit <= 0:
            return LexicalHits()
        Q, Must, Should = tantivy.Query, tantivy.Occur.Must, tantivy.Occur.Should
        sr = self.searcher
        freqs = self._doc_freqs(words)
        count = sum(freqs) <= COUNT_BUDGET
        term_clauses, extra_clauses = parts
        if extra_clauses:  # on another thread, beside the term union
            extra_query = self._filtered(Q.boolean_query(extra_clauses), filters)
            pending = submit(sr.search, extra_query, limit, count=False)
        main = sr.search(self._filtered(Q.boolean_query(term_clauses), filters), limit, count=count)
        ids = sr.fast_field_values("id", [addr for _, addr in main.hits])
        scores = {int(i): float(score) for (score, _), i in zip(main.hits, ids, strict=True)}
        saturated = len(main.hits) == limit
        extra_only = 0
        if extra_clauses:
            more = pending.result()
            more_ids = [int(i) for i in sr.fast_field_values("id", [addr for _, addr in more.hits])]
            extra = {i: float(score) for (score, _), i in zip(more.hits, more_ids, strict=True)}
            missing = [i for i in extra if i not in scores]
            if missing:
                lookup = Q.boolean_query(
                    [
                        (Must, Q.const_score_query(Q.term_set_query(self.schema, "id", missing), 0.0)),
                        (Should, Q.boolean_query(term_clauses)),
                    ]
                )
                found = sr.search(lookup, len(missing), count=False)
                found_ids = sr.fast_field_values("id", [addr for _, addr in found.hits])
                looked_up = {
                    int(i): float(score) for (score, _), i in zip(found.hits, found_ids, strict=True)
                }
                for i in missing:
                    scores[i] = looked_up.get(i, 0.0)
                    extra_only += looked_up.get(i, 0.0) <= 0.0
            for i, e in extra.items():
                scores[i] += e
            saturated = saturated or len(more.hits) == limit
        hits = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
        if count and not (extra_clauses and len(more.hits) == limit):
            return LexicalHits(hits, main.count + extra_only, True)
        if not saturated:  # fewer than asked for on both sides: these are all the matches
            return LexicalHits(hits, len(scores), True)
        # Without filters every document holding the most common query word matches.
        bound = max(len(scores), max(freqs, default=0) if not filters else 0)
        return LexicalHits(hits, bound, False)

    def _doc_freqs(self, words: tuple[list[str], list[str]]) -> list[int]:
        """How many documents hold each of the query's words, per field searched (a cost estimate)."""
        sr = self.searcher
        plain, stems = words
        freqs = [sr.doc_freq(name, stem) for stem in keywords(stems) for name in ("title", "abstract")]
        return freqs + [sr.doc_freq("authors", word) for word in dict.fromkeys(plain)]

    def exact_title(self, text: str, filters: Filters | None = None) -> list[int]:
        """Ids of documents whose whole title is `text` (ignoring case and punctuation)."""
        key = title_key(text)
        if not key:
            return []
        query = tantivy.Query.term_query(self.schema, "title_key", key)
        filter_clauses = self._filter_clauses(filters)
        if filter_clauses:
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), *filter_clauses])
        result = self.searcher.search(query, 5, count=False)
        return [int(i) for i in self.searcher.fast_field_values("id", [a for _, a in result.hits])]

    def filtered_ids(self, ids: list[int], filters: Filters) -> set[int]:
        """Those of `ids` that pass `filters` (for candidates found by the dense side)."""
        if not ids:
            return set()
        Q = tantivy.Query
        query = Q.boolean_query(
            [(tantivy.Occur.Must, Q.term_set_query(self.schema, "id", [int(i) for i in ids]))]
            + self._filter_clauses(filters)
        )
        result = self.searcher.search(query, len(ids), count=False)
        return {int(i) for i in self.searcher.fast_field_values("id", [a for _, a in result.hits])}
