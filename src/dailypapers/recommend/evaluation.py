"""The recommendation benchmark behind `dailypapers eval-recommend`: datasets, baselines, metrics.

Two time-split datasets built from real data, ranked by the shipped model and by baselines in one run:

* arxiv-authors (the arXiv snapshot): a member is an author (papers.authors.author_key) with at least
  `min_train` papers listed before the cutoff and at least `min_test` in the `weeks` after it. Their
  earlier papers are the library; the candidates are every paper listed in those weeks; the relevant
  ones are their own later papers.
* hf-submitters (the Hugging Face archive): a member is a submitter with at least `min_train`
  submissions before the cutoff and `min_test` in the `weeks` after it. Their earlier submissions are
  the library; the candidates are every paper on the feed in those weeks; the relevant ones are their
  later submissions. With `per_day`, each later day they submitted on is a ranking of that day's feed
  alone (15-25 papers: any method that matches authors is near the top of the scale there, so the
  pooled ranking is the default; a member's figures are then the mean over their days).

Every method sees only what the site would know at the cutoff: the library (vectors, authors,
categories, text, ages), a sample of papers listed in the weeks before the cutoff (the "recent
background" a member did not pick), and the candidates' own vectors, authors, categories and text.
Figures per member are averaged over members: nDCG@20, recall@50 and MRR (reciprocal rank of the first
relevant paper, whole ranking).

Embeddings are made by the site's own embedder (search.embedding) from the text the site embeds
(`paper_text`), and kept in an on-disk cache keyed by a hash of the model name and text, so that a
rerun embeds nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import random
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# ----------------------------------------------------------------------------------------------
# Papers


@dataclass
class EvalPaper:
    arxiv_id: str
    day: dt.date  # the day it was listed (snapshot: announced; archive: first day on the feed)
    title: str
    abstract: str
    authors: tuple[str, ...]  # author keys, distinct, in order
    categories: tuple[str, ...]  # primary first; () when unknown
    upvotes: int = 0  # Hugging Face's figure as archived (hf-submitters only)
    published: float = 0.0  # a timestamp for "newest first" (ties broken by arXiv id)

    @property
    def text(self) -> str:
        from dailypapers.search.embedding import paper_text

        return paper_text(self.title, self.abstract)


@dataclass
class Listing:
    day: dt.date
    arxiv_id: str
    submitter: str


def default_shared_dir() -> Path:
    """../shared/data beside the checkout, or $DAILYPAPERS_SHARED/data."""
    if os.environ.get("DAILYPAPERS_SHARED"):
        return Path(os.environ["DAILYPAPERS_SHARED"]) / "data"
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return Path("../shared/data")


def load_snapshot(folder: Path, months: Iterable[str] | None = None) -> list[EvalPaper]:
    """The arXiv snapshot's papers (files arxiv-YYYY-MM.jsonl.gz), in the site's own parsing."""
    from dailypapers.sources import snapshot

    wanted = set(months) if months else None
    papers: list[EvalPaper] = []
    for path in sorted(Path(folder).glob("arxiv-*.jsonl*")):
        if wanted is not None and path.name.split(".")[0].removeprefix("arxiv-") not in wanted:
            continue
        for batch in snapshot.read_batches(path):
            for rec in batch.records:
                if rec.announced_on is None or rec.withdrawn:
                    continue
                papers.append(
                    EvalPaper(
                        arxiv_id=rec.arxiv_id,
                        day=rec.announced_on,
                        title=" ".join((rec.title or "").split()),
                        abstract=" ".join((rec.abstract or "").split()),
                        authors=tuple(rec.keyed_authors()),
                        categories=tuple(rec.categories or ()),
                        published=rec.published_at.timestamp() if rec.published_at else 0.0,
                    )
                )
    return papers


def load_hf_archive(
    folder: Path, categories: dict[str, tuple[str, ...]] | None = None
) -> tuple[list[EvalPaper], list[Listing]]:
    """The archive's papers (one per arXiv id, as first listed) and its listings (day, paper,
    submitter). Hugging Face gives no categories: `categories` (arXiv id -> categories, from the
    snapshot) fills them in where known, as the site's catalogue would from arXiv."""
    from dailypapers.sources import hf_daily

    categories = categories or {}
    papers: dict[str, EvalPaper] = {}
    listings: list[Listing] = []
    seen: set[tuple[dt.date, str]] = set()
    for path in hf_daily.find_files([folder]):
        try:
            reading = hf_daily.read_file(path)
        except hf_daily.UnreadableFile:
            continue
        for rec in reading.records:
            for listing in rec.listings:
                if (listing.day, rec.arxiv_id) in seen:
                    continue
                seen.add((listing.day, rec.arxiv_id))
                listings.append(Listing(listing.day, rec.arxiv_id, listing.submitter_name))
                old = papers.get(rec.arxiv_id)
                upvotes = rec.stats.upvotes if rec.stats else 0
                if old is None or listing.day < old.day:
                    papers[rec.arxiv_id] = EvalPaper(
                        arxiv_id=rec.arxiv_id,
                        day=listing.day,
                        title=" ".join((rec.title or "").split()),
                        abstract=" ".join((rec.abstract or "").split()),
                        authors=tuple(rec.keyed_authors()),
                        categories=categories.get(rec.arxiv_id, ()),
                        upvotes=max(upvotes, old.upvotes if old else 0),
                        published=rec.published_at.timestamp() if rec.published_at else 0.0,
                    )
    return list(papers.values()), listings


# ----------------------------------------------------------------------------------------------
# Embeddings, cached on disk


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dailypapers" / "eval-recommend"


class EmbeddingCache:
    """Vectors by hash of (model name, text), in one SQLite file per cache folder."""

    def __init__(self, folder: Path, embedder) -> None:
        self.embedder = embedder
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "embeddings.sqlite3"
        self.db = sqlite3.connect(self.path, timeout=120)  # another run may be writing
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS vec (key BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID"
        )
        self.db.commit()

    def key(self, text: str) -> bytes:
        return hashlib.sha1(f"{self.embedder.name}\x00{text}".encode()).digest()

    def vectors(
        self, texts: Sequence[str], progress: Callable[[str], None] | None = None, chunk: int = 256
    ) -> np.ndarray:
        """One vector per text (n × dim float32), embedding (and storing) only those not cached."""
        keys = [self.key(t) for t in texts]
        out = np.zeros((len(texts), self.embedder.dim), dtype=np.float32)
        found: dict[bytes, bytes] = {}
        distinct = list(dict.fromkeys(keys))
        for start in range(0, len(distinct), 500):
            part = distinct[start : start + 500]
            marks = ",".join("?" * len(part))
            found.update(self.db.execute(f"SELECT key, v FROM vec WHERE key IN ({marks})", part))
        missing = [k for k in distinct if k not in found]
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            started = time.monotonic()
            for start in range(0, len(missing), chunk):
                part = missing[start : start + chunk]
                vecs = self.embedder.embed([text_of[k] for k in part])
                rows = [(k, v.astype(np.float32).tobytes()) for k, v in zip(part, vecs, strict=True)]
                self.db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)", rows)
                self.db.commit()  # each chunk kept: an interrupted run resumes where it stopped
                found.update(rows)
                if progress:
                    done = min(start + chunk, len(missing))
                    rate = done / max(time.monotonic() - started, 1e-9)
                    progress(f"embedded {done:,}/{len(missing):,} texts ({rate:.0f}/s)")
        for i, k in enumerate(keys):
            out[i] = np.frombuffer(found[k], dtype=np.float32)
        return out


# ----------------------------------------------------------------------------------------------
# Datasets


@dataclass
class Query:
    candidates: int  # index into Dataset.candidate_sets
    relevant: set[int]  # corpus indices


@dataclass
class Member:
    name: str
    library: list[int]  # corpus indices, newest first
    ages: list[float]  # days before the cutoff, per library paper
    queries: list[Query]


@dataclass
class Dataset:
    name: str
    cutoff: dt.date
    papers: list[EvalPaper]
    members: list[Member]
    candidate_sets: list[list[int]]  # corpus indices, in a seeded random order
    background: list[int]  # recent papers before the cutoff (weak negatives)
    vectors: np.ndarray | None = None  # corpus × dim, filled for the papers used
    stats: dict = field(default_factory=dict)

    def used(self) -> list[int]:
        """Corpus indices every method may look at: libraries, background, candidates."""
        used = set(self.background)
        for m in self.members:
            used.update(m.library)
        for cs in self.candidate_sets:
            used.update(cs)
        return sorted(used)


LIBRARY_CAP = 15  # a member's newest library papers kept (embedding them is most of a run's cost)
BACKGROUND_WEEKS = 8
BACKGROUND_SIZE = 200


def _background(papers: list[EvalPaper], cutoff: dt.date, rng: random.Random) -> list[int]:
    start = cutoff - dt.timedelta(weeks=BACKGROUND_WEEKS)
    recent = [i for i, p in enumerate(papers) if start <= p.day < cutoff]
    return sorted(rng.sample(recent, min(BACKGROUND_SIZE, len(recent))))


def _sample_members(members: list[Member], max_members: int, rng: random.Random) -> list[Member]:
    members.sort(key=lambda m: m.name)
    if max_members and len(members) > max_members:
        members = rng.sample(members, max_members)
        members.sort(key=lambda m: m.name)
    return members


def arxiv_authors(
    papers: list[EvalPaper],
    cutoff: dt.date,
    weeks: int,
    min_train: int,
    min_test: int,
    max_members: int,
    seed: int,
) -> Dataset:
    rng = random.Random(seed)
    end = cutoff + dt.timedelta(weeks=weeks)
    before: dict[str, list[int]] = defaultdict(list)
    after: dict[str, set[int]] = defaultdict(set)
    candidates = []
    for i, p in enumerate(papers):
        if p.day < cutoff:
            for a in p.authors:
                before[a].append(i)
        elif p.day < end:
            candidates.append(i)
            for a in p.authors:
                after[a].add(i)
    members = []
    for name, later in after.items():
        earlier = before.get(name, [])
        if len(earlier) >= min_train and len(later) >= min_test:
            earlier = sorted(earlier, key=lambda i: papers[i].day, reverse=True)[:LIBRARY_CAP]
            ages = [float((cutoff - papers[i].day).days) for i in earlier]
            members.append(Member(name, earlier, ages, [Query(0, set(later))]))
    eligible = len(members)
    members = _sample_members(members, max_members, rng)
    rng.shuffle(candidates)
    return Dataset(
        "arxiv-authors",
        cutoff,
        papers,
        members,
        [candidates],
        _background(papers, cutoff, rng),
        stats={"eligible": eligible, "candidates": len(candidates)},
    )


def hf_submitters(
    papers: list[EvalPaper],
    listings: list[Listing],
    cutoff: dt.date,
    weeks: int,
    min_train: int,
    min_test: int,
    max_members: int,
    seed: int,
    per_day: bool = False,
) -> Dataset:
    """Submitters' later submissions among all papers on the feed in the test weeks (one ranking per
    member), or, `per_day`, in each later day's feed apart (one ranking per day they submitted)."""
    rng = random.Random(seed)
    end = cutoff + dt.timedelta(weeks=weeks)
    index = {p.arxiv_id: i for i, p in enumerate(papers)}
    feeds: dict[dt.date, list[int]] = defaultdict(list)
    before: dict[str, dict[int, dt.date]] = defaultdict(dict)
    after: dict[str, dict[dt.date, set[int]]] = defaultdict(lambda: defaultdict(set))
    for listing in listings:
        i = index[listing.arxiv_id]
        if listing.day < cutoff:
            if listing.submitter:
                before[listing.submitter].setdefault(i, listing.day)
        elif listing.day < end:
            feeds[listing.day].append(i)
            if listing.submitter:
                after[listing.submitter][listing.day].add(i)
    days = sorted(feeds)
    if per_day:
        set_of = {day: n for n, day in enumerate(days)}
        candidate_sets = [list(dict.fromkeys(feeds[day])) for day in days]
    else:
        set_of = dict.fromkeys(days, 0)
        candidate_sets = [list(dict.fromkeys(i for day in days for i in feeds[day]))]
    for cs in candidate_sets:
        rng.shuffle(cs)
    members = []
    for name, later in after.items():
        earlier = before.get(name, {})
        if len(earlier) >= min_train and sum(len(v) for v in later.values()) >= min_test:
            lib = sorted(earlier, key=lambda i: earlier[i], reverse=True)[:LIBRARY_CAP]
            ages = [float((cutoff - earlier[i]).days) for i in lib]
            if per_day:
                queries = [Query(set_of[day], rel) for day, rel in sorted(later.items())]
            else:
                queries = [Query(0, set().union(*later.values()))]
            members.append(Member(name, lib, ages, queries))
    eligible = len(members)
    members = _sample_members(members, max_members, rng)
    # Background: what was on the feed in the weeks before the cutoff.
    start = cutoff - dt.timedelta(weeks=BACKGROUND_WEEKS)
    recent = sorted({index[x.arxiv_id] for x in listings if start <= x.day < cutoff})
    background = sorted(rng.sample(recent, min(BACKGROUND_SIZE, len(recent))))
    return Dataset(
        "hf-submitters",
        cutoff,
        papers,
        members,
        candidate_sets,
        background,
        stats={"eligible": eligible, "days": len(days), "candidates": sum(map(len, candidate_sets))},
    )


# ----------------------------------------------------------------------------------------------
# Metrics


def ndcg_at(ranked_relevance: Sequence[bool], n_relevant: int, k: int = 20) -> float:
    """Binary-relevance nDCG@k of one ranking (ranked_relevance[i]: is the i-th paper relevant)."""
    if n_relevant == 0:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, rel in enumerate(ranked_relevance[:k]) if rel)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, n_relevant)))
    return dcg / ideal


def recall_at(ranked_relevance: Sequence[bool], n_relevant: int, k: int = 50) -> float:
    if n_relevant == 0:
        return 0.0
    return sum(1 for rel in ranked_relevance[:k] if rel) / n_relevant


def reciprocal_rank(ranked_relevance: Sequence[bool]) -> float:
    for i, rel in enumerate(ranked_relevance):
        if rel:
            return 1.0 / (i + 1)
    return 0.0


def ranking_metrics(scores: np.ndarray, candidates: Sequence[int], relevant: set[int]) -> dict[str, float]:
    """The three figures of one query: `scores` per candidate, higher first, ties in candidate order."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    ranked = [candidates[j] in relevant for j in order]
    n_rel = sum(1 for c in candidates if c in relevant)
    return {
        "ndcg@20": ndcg_at(ranked, n_rel, 20),
        "recall@50": recall_at(ranked, n_rel, 50),
        "mrr": reciprocal_rank(ranked),
    }


# ----------------------------------------------------------------------------------------------
# Methods: each fits one member (`fit`) and scores candidate sets for many fitted members at once.


class Method:
    name = ""

    def prepare(self, ds: Dataset) -> None:
        """Work shared by every member of the dataset."""

    def fit(self, ds: Dataset, member: Member) -> object:
        return None

    def score(self, ds: Dataset, fitted: list[object], members: list[Member], cs: int) -> np.ndarray:
        raise NotImplementedError


def _papers(ds: Dataset, idx: Sequence[int]):
    from dailypapers.recommend.learning import Papers

    assert ds.vectors is not None
    idx = list(idx)
    return Papers(
        ds.vectors[idx],
        [ds.papers[i].authors for i in idx],
        [ds.papers[i].categories for i in idx],
        [ds.papers[i].text for i in idx],
    )


class RandomOrder(Method):
    name = "random"

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def score(self, ds, fitted, members, cs):
        rng = np.random.default_rng([self.seed, cs])
        return rng.random((len(members), len(ds.candidate_sets[cs])))


class NewestFirst(Method):
    name = "newest"

    def score(self, ds, fitted, members, cs):
        cands = ds.candidate_sets[cs]
        keys = sorted(
            range(len(cands)), key=lambda j: (ds.papers[cands[j]].published, ds.papers[cands[j]].arxiv_id)
        )
        rank = np.empty(len(cands))
        rank[keys] = np.arange(len(cands))
        return np.tile(rank, (len(members), 1))


class CommunityVotes(Method):
    name = "votes"

    def score(self, ds, fitted, members, cs):
        votes = np.array([ds.papers[i].upvotes for i in ds.candidate_sets[cs]], dtype=np.float64)
        return np.tile(votes, (len(members), 1))


class CategoryPrior(Method):
    """How often the member's library has each of the candidate's categories (mean over them)."""

    name = "category"

    def fit(self, ds, member):
        counts = Counter(c for i in member.library for c in set(ds.papers[i].categories))
        return {c: n / len(member.library) for c, n in counts.items()}

    def score(self, ds, fitted, members, cs):
        cands = [ds.papers[i].categories for i in ds.candidate_sets[cs]]
        out = np.zeros((len(members), len(cands)))
        for r, freq in enumerate(fitted):
            for j, cats in enumerate(cands):
                if cats:
                    out[r, j] = sum(freq.get(c, 0.0) for c in cats) / len(cats)
        return out


class TfidfSvm(Method):
    """arxiv-sanity-lite's method: tf-idf over title, abstract and authors (1-2-grams, 20,000
    features, sublinear tf, English stop words, max_df 0.1, min_df 5, as its compute step), a
    LinearSVC(C=0.01, class_weight="balanced") per member, the library against the background."""

    name = "tfidf-svm"

    def prepare(self, ds):
        from sklearn.feature_extraction.text import TfidfVectorizer

        used = ds.used()
        self.row = {i: r for r, i in enumerate(used)}
        texts = [
            " ".join([ds.papers[i].title, ds.papers[i].abstract, " ".join(ds.papers[i].authors)])
            for i in used
        ]
        vectorizer = TfidfVectorizer(
            strip_accents="unicode",
            lowercase=True,
            analyzer="word",
            stop_words="english",
            token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
            ngram_range=(1, 2),
            max_features=20_000,
            norm="l2",
            use_idf=True,
            smooth_idf=True,
            sublinear_tf=True,
            # arxiv-sanity-lite's bounds suit a large corpus; a tiny one (the tests') keeps every word.
            max_df=0.1 if len(texts) >= 100 else 1.0,
            min_df=5 if len(texts) >= 100 else 1,
        )
        self.x = vectorizer.fit_transform(texts).tocsr()

    def fit(self, ds, member):
        from sklearn.svm import LinearSVC

        own = set(member.library)
        neg = [i for i in ds.background if i not in own]
        rows = [self.row[i] for i in member.library] + [self.row[i] for i in neg]
        y = np.r_[np.ones(len(member.library)), np.zeros(len(neg))]
        clf = LinearSVC(C=0.01, class_weight="balanced", max_iter=10_000, tol=1e-6)
        clf.fit(self.x[rows], y)
        return clf

    def score(self, ds, fitted, members, cs):
        xc = self.x[[self.row[i] for i in ds.candidate_sets[cs]]]
        return np.stack([clf.decision_function(xc) for clf in fitted])


class Centroid(Method):
    """The recency-weighted embedding centroid of the library; cosine to it."""

    name = "centroid"

    def fit(self, ds, member):
        from dailypapers.recommend import learning

        assert ds.vectors is not None
        w = learning.recency_weights(member.ages, len(member.library))
        return learning.centroid(ds.vectors[member.library], w)

    def score(self, ds, fitted, members, cs):
        assert ds.vectors is not None
        return np.stack(fitted) @ ds.vectors[ds.candidate_sets[cs]].T


class Model(Method):
    """The shipped model (learning.train), or a variant of it with some parts' weights changed."""

    def __init__(self, name: str = "model", **mix: float) -> None:
        self.name, self.mix = name, mix

    def prepare(self, ds):
        self.cands: dict[int, object] = {}
        self.background = _papers(ds, ds.background)  # shared, as the site shares one sample

    def fit(self, ds, member):
        from dailypapers.recommend import learning

        own = set(member.library) & set(ds.background)
        background = _papers(ds, [i for i in ds.background if i not in own]) if own else self.background
        data = learning.TrainingInput(
            positives=_papers(ds, member.library), positive_ages=member.ages, background=background
        )
        return learning.train(data)

    def score(self, ds, fitted, members, cs):
        from dailypapers.recommend import learning

        if cs not in self.cands:
            self.cands = {cs: _papers(ds, ds.candidate_sets[cs])}  # one set at a time: memory stays flat
        return learning.score_many(fitted, self.cands[cs], learning.Mix(**self.mix) if self.mix else None)


def methods_for(dataset: str, seed: int, extra: bool = False) -> list[Method]:
    methods: list[Method] = [RandomOrder(seed), NewestFirst()]
    if dataset == "hf-submitters":
        methods.append(CommunityVotes())
    methods += [CategoryPrior(), TfidfSvm(), Centroid(), Model()]
    if extra:  # the parts of the model one at a time (README: what each part is worth)
        methods += [
            Model("model:text", authors=0.0, categories=0.0, terms=0.0),
            Model("model:-authors", authors=0.0),
            Model("model:-categories", categories=0.0),
            Model("model:-terms", terms=0.0),
        ]
    return methods


# ----------------------------------------------------------------------------------------------
# Running


def evaluate(ds: Dataset, methods: Sequence[Method], say: Callable[[str], None] = lambda m: None) -> dict:
    """{method: {"ndcg@20", "recall@50", "mrr", "members"}} for one dataset."""
    results: dict[str, dict] = {}
    by_set: dict[int, list[tuple[int, Query]]] = defaultdict(list)
    for r, member in enumerate(ds.members):
        for q in member.queries:
            by_set[q.candidates].append((r, q))
    for method in methods:
        started = time.monotonic()
        method.prepare(ds)
        fitted = [method.fit(ds, m) for m in ds.members]
        per_member: list[list[dict]] = [[] for _ in ds.members]
        for cs, queries in sorted(by_set.items()):
            rows = [r for r, _ in queries]
            scores = method.score(ds, [fitted[r] for r in rows], [ds.members[r] for r in rows], cs)
            for (r, q), s in zip(queries, scores, strict=True):
                per_member[r].append(ranking_metrics(s, ds.candidate_sets[cs], q.relevant))
        figures = {}
        for metric in ("ndcg@20", "recall@50", "mrr"):
            means = [sum(x[metric] for x in qs) / len(qs) for qs in per_member if qs]
            figures[metric] = round(float(np.mean(means)), 4) if means else 0.0
        figures["members"] = sum(1 for qs in per_member if qs)
        results[method.name] = figures
        say(f"{ds.name}: {method.name} {figures} ({time.monotonic() - started:.1f} s)")
    return results


def attach_vectors(ds: Dataset, cache: EmbeddingCache, say: Callable[[str], None] = lambda m: None) -> None:
    used = ds.used()
    vecs = cache.vectors([ds.papers[i].text for i in used], progress=say)
    ds.vectors = np.zeros((len(ds.papers), vecs.shape[1]), dtype=np.float32)
    ds.vectors[used] = vecs


# ----------------------------------------------------------------------------------------------
# The whole run

DATASETS = ("arxiv-authors", "hf-submitters")
DEFAULT_CUTOFF = dt.date(2026, 3, 1)
# Per dataset: the arXiv snapshot has ~1,000 papers a week and thousands of authors; the archive
# ~85 papers a week and a few hundred submitters, so it needs a longer test period.
DEFAULTS = {
    "arxiv-authors": {"weeks": 1, "min_train": 5, "min_test": 1},
    "hf-submitters": {"weeks": 8, "min_train": 3, "min_test": 1},
}
DEFAULT_MAX_MEMBERS = 100


@dataclass
class Options:
    cutoff: dt.date = DEFAULT_CUTOFF
    weeks: tuple[int, int] | None = None  # (arxiv-authors, hf-submitters); None: DEFAULTS
    min_train: tuple[int, int] | None = None
    min_test: tuple[int, int] | None = None
    max_members: int = DEFAULT_MAX_MEMBERS
    seed: int = 0
    datasets: tuple[str, ...] = DATASETS
    shared: Path | None = None
    cache: Path | None = None
    extra: bool = False  # also the model's parts one at a time
    per_day: bool = False  # hf-submitters: rank each later day's feed apart

    def setting(self, name: str, dataset: str) -> int:
        given = getattr(self, name)
        return DEFAULTS[dataset][name] if given is None else given[DATASETS.index(dataset)]


def build(options: Options, say: Callable[[str], None] = lambda m: None) -> list[Dataset]:
    shared = options.shared or default_shared_dir()
    snapshot = load_snapshot(shared / "arxiv-snapshot")
    if not snapshot:
        raise FileNotFoundError(f"no arXiv snapshot files (arxiv-*.jsonl.gz) in {shared / 'arxiv-snapshot'}")
    out = []
    for name in options.datasets:
        kwargs = {
            "cutoff": options.cutoff,
            "weeks": options.setting("weeks", name),
            "min_train": options.setting("min_train", name),
            "min_test": options.setting("min_test", name),
            "max_members": options.max_members,
            "seed": options.seed,
        }
        if name == "arxiv-authors":
            ds = arxiv_authors(snapshot, **kwargs)
        else:
            categories = {p.arxiv_id: p.categories for p in snapshot}
            papers, listings = load_hf_archive(shared / "hf-daily-papers", categories)
            if not listings:
                raise FileNotFoundError(f"no Hugging Face archive files in {shared / 'hf-daily-papers'}")
            ds = hf_submitters(papers, listings, **kwargs, per_day=options.per_day)
        ds.stats.update({k: v for k, v in kwargs.items() if k != "seed"} | {"members": len(ds.members)})
        say(
            f"{name}: {len(ds.members)} members (of {ds.stats['eligible']}), "
            f"{ds.stats['candidates']:,} candidates"
        )
        out.append(ds)
    return out


def run(options: Options, say: Callable[[str], None] = lambda m: None, embedder=None) -> dict:
    """{dataset: {method: figures}} for one cutoff (see the module docstring)."""
    from dailypapers.search.embedding import BUNDLED_MODEL_DIR, Embedder

    datasets = build(options, say)
    if embedder is None:
        # One onnxruntime thread: on a busy machine spinning worker threads cost more than they give.
        embedder = Embedder(BUNDLED_MODEL_DIR, threads=1)
    cache = EmbeddingCache(options.cache or default_cache_dir(), embedder)
    results = {}
    for ds in datasets:
        if not ds.members:
            say(f"{ds.name}: no member qualifies at {ds.cutoff}; nothing to rank")
            results[ds.name] = {}
            continue
        attach_vectors(ds, cache, say)
        results[ds.name] = evaluate(ds, methods_for(ds.name, options.seed, options.extra), say)
    return results


def table(results: dict, cutoff: dt.date) -> str:
    """The figures as a Markdown table per dataset, with the model's nDCG@20 ratios to the two
    baselines it must beat."""
    lines = []
    for name, figures in results.items():
        lines.append(f"{name}, cutoff {cutoff}")
        if not figures:
            lines += ["(no members)", ""]
            continue
        lines.append("| method | nDCG@20 | recall@50 | MRR | members |")
        lines.append("|---|---:|---:|---:|---:|")
        for method, f in figures.items():
            lines.append(
                f"| {method} | {f['ndcg@20']:.3f} | {f['recall@50']:.3f} | {f['mrr']:.3f} | {f['members']} |"
            )
        model = figures.get("model", {}).get("ndcg@20", 0.0)
        ratios = []
        for base in ("tfidf-svm", "centroid"):
            b = figures.get(base, {}).get("ndcg@20", 0.0)
            ratios.append(f"{model / b:.2f}× {base}" if b else f"n/a × {base}")
        lines += [f"model nDCG@20: {', '.join(ratios)}", ""]
    return "\n".join(lines)
