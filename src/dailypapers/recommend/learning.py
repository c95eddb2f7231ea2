"""The per-member recommendation model: training, scoring, explaining. Plain numpy and SciPy, no
database: the site's code gathers a member's signals, calls `train`, stores `model.to_bytes()` in one
row per member, and scores a day's new papers with `score_many` (one matrix product per part).

Public interface (kept stable; other parts of the site call it):

* `Papers(vectors, authors, categories, texts=None, names=None)`: a batch of papers. `vectors` is
  n × dim float32 (the stored search embeddings, unit length), `authors` one sequence of author keys
  per paper (`papers.authors.author_key`), `categories` one sequence of arXiv categories per paper
  (primary first), `texts` title + abstract per paper (for terms; optional), `names` per paper the
  authors' names by key, as the paper writes them (for the site's explanations; optional).
* `TrainingInput(positives, ...)`: what the site knows of a member.
  - `positives`: saved, upvoted and up-rated papers; `positive_weights` (default 1 each; a rating can
    weigh more), `positive_ages` (days since the signal; recent signals count more);
  - `negatives`: explicit negatives (not interested, down-ratings);
  - `background`: a random sample of recent papers (weak negatives, down-weighted: what there was to
    pick from);
  - `followed_authors`, `followed_categories`, `muted_authors`, `muted_categories`.
* `train(data) -> MemberModel`. With fewer than `MIN_POSITIVES_FOR_LOGISTIC` positives, or no
  background, the text part is a recency-weighted centroid (`kind == "centroid"`), else a logistic
  regression on the embeddings (`kind == "logistic"`).
* `MemberModel`: `kind`, `to_bytes()` / `MemberModel.from_bytes()` (JSON, about 3 kB), `to_json()`.
* `score(model, candidates) -> np.ndarray` (higher is better; one float per candidate) and
  `score_many(models, candidates) -> np.ndarray` (members × candidates).
* `explain(model, candidate, library) -> Explanation`: the nearest library papers (cosine), the
  strongest terms, the matching authors and categories: "Why here?".
* `uncertain(model, pool, k=10) -> np.ndarray`: indices of the k pool papers the model is least sure
  about (closest to its decision threshold), for a cold-start rating round.

The score of a paper is a sum of four parts, each of them a linear function of the paper's features:

    text     the logistic regression's logit (or the centroid's cosine), standardised over the
             member's background sample, so that every member's text part is on the same scale;
    authors  AUTHOR_WEIGHT × Σ over the paper's authors of their share of the member's positives
             (recency-weighted; explicit negatives take some away; a followed author counts as 1,
             as if on every positive): the member's own name and close co-authors count most;
    category CATEGORY_WEIGHT × the mean over the paper's categories of the smoothed log-odds of that
             category among the member's positives against the background (followed: +FOLLOW_CATEGORY);
    terms    TERM_WEIGHT × the sum of the smoothed log-odds of the paper's words among the positives
             against the background (the member's TERMS strongest words), over √(the paper's words).

AUTHOR_WEIGHT and the way authors add up were chosen with `dailypapers eval-recommend` over four
cutoffs of both datasets (the choice that held at all of them; README, Recommendations); the other
constants were set once and hardly move the figures.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

MODEL_VERSION = 2  # 2: links and boilerplate are no longer words (a version-1 model is trained again)
MIN_POSITIVES_FOR_LOGISTIC = 3
HALF_LIFE_DAYS = 180.0  # a signal's weight halves every half year
LOGISTIC_C = 4.0  # inverse regularisation of the logistic regression on unit-length embeddings
NEGATIVE_WEIGHT = 2.0  # an explicit negative counts twice as much as a positive
BACKGROUND_SHARE = 1.0  # the background's total weight, relative to the positives' total

AUTHOR_WEIGHT = 8.0
CATEGORY_WEIGHT = 0.5
TERM_WEIGHT = 0.5
FOLLOW_AUTHOR = 1.0  # a followed author counts as if they wrote every positive
FOLLOW_CATEGORY = 1.0  # log-odds added to a followed category
MUTE = -20.0  # a muted author or category sinks the paper
TERMS = 64


@dataclass(frozen=True)
class Mix:
    """How much each part other than the text counts (the evaluation switches parts off with it)."""

    authors: float = AUTHOR_WEIGHT
    categories: float = CATEGORY_WEIGHT
    terms: float = TERM_WEIGHT


DEFAULT_MIX = Mix()

_WORD = re.compile(r"[a-z][a-z0-9]+(?:-[a-z0-9]+)*")
# Links and e-mail addresses are not words of a subject: "Code at https://github.com/x/y" and
# "project page: https://x.github.io" end many abstracts, and their parts would otherwise be among a
# member's strongest words (and named by "Why here?"). Matched in lowercased text.
_LINK = re.compile(r"(?<!\S)\S*?(?:://|www\.|@[\w-]+\.[a-z]|\.(?:com|org|io|net|ai|co)\b)\S*")
_LINK_MARKS = ("://", "www.", "@", ".com", ".org", ".io", ".net", ".ai", ".co")
# Words that say nothing of a paper's subject: English function words, and what abstracts say of
# themselves (their experiments, code, results, claims).
STOP_WORDS = frozenset(
    "a about above after again against all almost along already also although always am among an and "  # noqa: SIM905
    "another any are around as at be because been before being below besides between beyond both but "
    "by can cannot could did do does doing done down during each either else enough even ever every "
    "few for from further had has have having he her here hers him his how however i if in into is it "
    "its itself just less many may me might more most much must my neither no nor not now of off often "
    "on once one only onto or other others otherwise our ours out over own per perhaps rather same "
    "several she should since so some such than that the their them themselves then there thereby "
    "therefore these they this those though three through thus to together too toward towards two "
    "under until up upon us very via was we well were what whatever when where whereas whether which "
    "while who whom whose why will with within without would yet you your "
    # what abstracts say of themselves
    "able achieve achieved achieves achieving across approach approaches available based best better "
    "code codes comprehensive consistently demonstrate demonstrates demonstrated different effective "
    "effectiveness enable enables existing experiment experiments experimental extensive extensively "
    "first framework github highly however http https improve improved improves including introduce "
    "introduces large method methods model models new novel outperform outperforms page paper "
    "performance project propose proposed proposes provide provides publicly release released remain "
    "remains result results show shows shown significant significantly specific state-of-the-art "
    "study superior task tasks use used uses using various work data".split()
)


def terms_of(text: str) -> list[str]:
    """The distinct words of a title + abstract that can describe its subject, in order (links,
    addresses and STOP_WORDS left out)."""
    text = (text or "").lower()
    if any(mark in text for mark in _LINK_MARKS):  # most abstracts have none: skip the slower search
        text = _LINK.sub(" ", text)
    return list(dict.fromkeys(w for w in _WORD.findall(text) if w not in STOP_WORDS))


@dataclass
class Papers:
    """A batch of papers as the model sees them."""

    vectors: np.ndarray  # n × dim float32, unit length
    authors: Sequence[Sequence[str]]  # author keys, per paper
    categories: Sequence[Sequence[str]]  # primary first, per paper
    texts: Sequence[str] | None = None  # title + abstract, per paper
    names: Sequence[dict[str, str]] | None = None  # author key -> name as written, per paper

    def __post_init__(self) -> None:
        self.vectors = np.asarray(self.vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or len(self.vectors) != len(self.authors):
            raise ValueError("vectors must be n × dim, one row per paper")
        if len(self.categories) != len(self.authors):
            raise ValueError("one list of categories per paper is needed")
        if self.texts is not None and len(self.texts) != len(self.authors):
            raise ValueError("one text per paper is needed")
        if self.names is not None and len(self.names) != len(self.authors):
            raise ValueError("one set of names per paper is needed")

    def __len__(self) -> int:
        return len(self.authors)

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def subset(self, idx: Sequence[int] | np.ndarray) -> Papers:
        idx = [int(i) for i in idx]
        part = Papers(
            self.vectors[idx] if len(idx) else np.zeros((0, self.dim), np.float32),
            [self.authors[i] for i in idx],
            [self.categories[i] for i in idx],
            [self.texts[i] for i in idx] if self.texts is not None else None,
            [self.names[i] for i in idx] if self.names is not None else None,
        )
        cached = getattr(self, "_terms", None)
        if cached is not None:  # the words already found (a kept span's, for each "Why here?")
            part._terms = [cached[i] for i in idx]
        return part

    def term_lists(self) -> list[list[str]]:
        if self.texts is None:
            return [[] for _ in range(len(self))]
        cached = getattr(self, "_terms", None)
        if cached is None:
            cached = [terms_of(t) for t in self.texts]
            self._terms = cached
        return cached

    def key_matrix(self, name: str, norm: str = "") -> tuple[dict[str, int], object]:
        """(key -> row, keys × papers sparse matrix) of the papers' authors, categories or terms,
        each paper's column weighted 1, 1/count ("mean") or 1/√count ("sqrt"); built once."""
        from scipy import sparse

        cache = self.__dict__.setdefault("_matrices", {})
        if (name, norm) in cache:
            return cache[(name, norm)]
        if name == "authors":
            lists = self.authors
        elif name == "categories":
            lists = self.categories
        else:
            lists = self.term_lists()
        vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for j, keys in enumerate(lists):
            keys = list(dict.fromkeys(keys))
            if not keys:
                continue
            v = {"mean": 1.0 / len(keys), "sqrt": 1.0 / math.sqrt(len(keys))}.get(norm, 1.0)
            for k in keys:
                rows.append(vocab.setdefault(k, len(vocab)))
                cols.append(j)
                vals.append(v)
        matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(vocab), len(self)), dtype=np.float64)
        cache[(name, norm)] = (vocab, matrix)
        return vocab, matrix

    def counts(self, name: str) -> Counter:
        """How many of the papers have each category ("categories") or word ("terms"); built once
        (a background sample is shared by every member trained against it)."""
        cache = self.__dict__.setdefault("_counts", {})
        if name not in cache:
            lists = self.categories if name == "categories" else self.term_lists()
            counter: Counter = Counter()
            for keys in lists:
                counter.update(set(keys))
            cache[name] = counter
        return cache[name]

    @staticmethod
    def empty(dim: int) -> Papers:
        return Papers(np.zeros((0, dim), np.float32), [], [], [])


@dataclass
class TrainingInput:
    positives: Papers
    positive_weights: Sequence[float] | None = None
    positive_ages: Sequence[float] | None = None  # days since each signal
    negatives: Papers | None = None
    background: Papers | None = None
    followed_authors: Sequence[str] = ()
    followed_categories: Sequence[str] = ()
    muted_authors: Sequence[str] = ()
    muted_categories: Sequence[str] = ()


@dataclass
class MemberModel:
    kind: str  # "centroid" or "logistic"
    vector: np.ndarray  # dim float32: the text part is vector · x + bias
    bias: float
    authors: dict[str, float] = field(default_factory=dict)  # author key -> share of the positives
    categories: dict[str, float] = field(default_factory=dict)  # category -> log-odds
    terms: dict[str, float] = field(default_factory=dict)  # word -> log-odds
    muted_authors: list[str] = field(default_factory=list)
    muted_categories: list[str] = field(default_factory=list)
    threshold: float = 0.0  # halfway between the positives' mean text part and the background's
    positives: int = 0

    def to_json(self) -> dict:
        return {
            "version": MODEL_VERSION,
            "kind": self.kind,
            "vector": base64.b64encode(np.asarray(self.vector, dtype="<f4").tobytes()).decode(),
            "bias": self.bias,
            "authors": self.authors,
            "categories": self.categories,
            "terms": self.terms,
            "muted_authors": self.muted_authors,
            "muted_categories": self.muted_categories,
            "threshold": self.threshold,
            "positives": self.positives,
        }

    def to_bytes(self) -> bytes:
        return json.dumps(self.to_json(), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: dict) -> MemberModel:
        if data.get("version") != MODEL_VERSION:
            raise ValueError(f"model version {data.get('version')!r}, expected {MODEL_VERSION}")
        return cls(
            kind=data["kind"],
            vector=np.frombuffer(base64.b64decode(data["vector"]), dtype="<f4").astype(np.float32),
            bias=float(data["bias"]),
            authors={str(k): float(v) for k, v in data["authors"].items()},
            categories={str(k): float(v) for k, v in data["categories"].items()},
            terms={str(k): float(v) for k, v in data["terms"].items()},
            muted_authors=list(data.get("muted_authors", [])),
            muted_categories=list(data.get("muted_categories", [])),
            threshold=float(data.get("threshold", 0.0)),
            positives=int(data.get("positives", 0)),
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> MemberModel:
        return cls.from_json(json.loads(raw))


# ----------------------------------------------------------------------------------------------
# Training


def recency_weights(ages: Sequence[float] | None, n: int, half_life: float = HALF_LIFE_DAYS) -> np.ndarray:
    if ages is None:
        return np.ones(n, dtype=np.float64)
    return np.power(0.5, np.maximum(np.asarray(ages, dtype=np.float64), 0.0) / half_life)


def centroid(vectors: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted mean direction of `vectors`, unit length (zeros when there is nothing)."""
    if len(vectors) == 0:
        return np.zeros(vectors.shape[1], dtype=np.float32)
    c = (weights[:, None] * vectors).sum(axis=0)
    return (c / max(float(np.linalg.norm(c)), 1e-12)).astype(np.float32)


def _log_odds(pos: Counter, pos_total: float, bg: Counter, bg_total: float, prior: float) -> dict[str, float]:
    """Smoothed log-odds of each key among the positives against the background."""
    out = {}
    for key, count in pos.items():
        p = (count + prior) / (pos_total + 2 * prior)
        q = (bg.get(key, 0.0) + prior) / (bg_total + 2 * prior)
        out[key] = math.log(p / q)
    return out


def train(data: TrainingInput) -> MemberModel:
    """A member's model from what the site knows of them (see the module docstring)."""
    pos = data.positives
    dim = pos.dim
    neg = data.negatives if data.negatives is not None else Papers.empty(dim)
    bg = data.background if data.background is not None else Papers.empty(dim)
    n_pos = len(pos)
    weights = recency_weights(data.positive_ages, n_pos)
    if data.positive_weights is not None:
        weights = weights * np.asarray(data.positive_weights, dtype=np.float64)

    # Text part.
    if n_pos >= MIN_POSITIVES_FOR_LOGISTIC and len(bg) > 0:
        kind = "logistic"
        vector, bias = _logistic(pos.vectors, weights, neg.vectors, bg.vectors)
    else:
        kind = "centroid"
        vector = centroid(pos.vectors, weights) if n_pos else np.zeros(dim, np.float32)
        if len(neg):  # explicit negatives push the centroid away from them
            vector = vector - 0.5 * centroid(neg.vectors, np.ones(len(neg)))
        bias = 0.0
    # Standardised over the background, so that its scale means the same for every member.
    if len(bg) >= 2:
        raw = bg.vectors @ vector + bias
        mean, std = float(raw.mean()), float(raw.std())
        if std > 1e-9:
            vector, bias = vector / std, (bias - mean) / std
    vector = np.asarray(vector, dtype=np.float32)

    # Authors: recency-weighted counts of positives (explicit negatives take a little away).
    # Authors: each one's share of the positives (recency-weighted): a name on most of them (the
    # member's own, a close co-author) counts far more than a one-off co-author.
    total = float(weights.sum()) if n_pos else 0.0
    authors: Counter = Counter()
    for w, keys in zip(weights, pos.authors, strict=True):
        for key in keys:
            authors[key] += float(w)
    for keys in neg.authors:
        for key in keys:
            if key in authors:
                authors[key] -= 0.5 * NEGATIVE_WEIGHT
    shares = {k: v / total for k, v in authors.items() if v > 0} if total > 0 else {}
    for key in data.followed_authors:
        shares[key] = max(shares.get(key, 0.0), FOLLOW_AUTHOR)
    author_weights = {k: round(v, 4) for k, v in shares.items() if v >= 1e-4}

    # Categories and terms: smoothed log-odds against the background (and explicit negatives).
    wsum = float(weights.sum()) if n_pos else 0.0
    cat_pos: Counter = Counter()
    for w, cats in zip(weights, pos.categories, strict=True):
        for c in dict.fromkeys(cats):
            cat_pos[c] += float(w)
    for cats in neg.categories:
        for c in dict.fromkeys(cats):
            cat_pos[c] -= NEGATIVE_WEIGHT * 0.5
    cat_bg = bg.counts("categories")
    categories = _log_odds(
        Counter({c: max(v, 0.0) for c, v in cat_pos.items()}), wsum, cat_bg, len(bg), prior=0.5
    )
    for c in data.followed_categories:
        categories[c] = max(categories.get(c, 0.0), 0.0) + FOLLOW_CATEGORY
    categories = {k: round(v, 4) for k, v in categories.items()}

    terms: dict[str, float] = {}
    if pos.texts is not None and n_pos:
        term_pos: Counter = Counter()
        for w, words in zip(weights, pos.term_lists(), strict=True):
            for t in words:
                term_pos[t] += float(w)
        for words in neg.term_lists():
            for t in words:
                if t in term_pos:
                    term_pos[t] -= 0.5
        term_bg = bg.counts("terms")
        odds = _log_odds(
            Counter({t: v for t, v in term_pos.items() if v > 0}), wsum, term_bg, len(bg), prior=0.5
        )
        # Words a single positive uses are its own, not the member's: at least two papers' worth.
        strong = [(t, v) for t, v in odds.items() if v > 0 and term_pos[t] >= min(2.0, 0.99 * wsum)]
        strong.sort(key=lambda tv: -tv[1])
        terms = {t: round(v, 4) for t, v in strong[:TERMS]}

    model = MemberModel(
        kind=kind,
        vector=vector,
        bias=float(bias),
        authors=author_weights,
        categories=categories,
        terms=terms,
        muted_authors=sorted(set(data.muted_authors)),
        muted_categories=sorted(set(data.muted_categories)),
        positives=n_pos,
    )
    if n_pos:
        # Halfway between the positives' text part and the background's (0 once standardised).
        model.threshold = float((pos.vectors @ vector + model.bias).mean() / 2)
    return model


def _logistic(
    pos: np.ndarray, pos_w: np.ndarray, neg: np.ndarray, bg: np.ndarray
) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression, weighted per sample: the objective of scikit-learn's
    `LogisticRegression(C=LOGISTIC_C)`, minimised with SciPy's L-BFGS directly. Half the time of going
    through scikit-learn (its input checks and per-fit set-up cost more than the fit itself on a few
    hundred rows), which matters when thousands of members are retrained in a row."""
    from scipy.optimize import minimize
    from scipy.special import expit, log_expit

    x = np.vstack([pos, neg, bg]) if len(neg) else np.vstack([pos, bg])
    x = np.asarray(x, dtype=np.float64)
    y = np.concatenate([np.ones(len(pos)), -np.ones(len(neg) + len(bg))])
    total = float(pos_w.sum())
    w = np.concatenate(
        [
            pos_w / total * len(pos),
            np.full(len(neg), NEGATIVE_WEIGHT),
            np.full(len(bg), BACKGROUND_SHARE * len(pos) / len(bg)),
        ]
    )
    cw = LOGISTIC_C * w
    scale = float(cw.sum())  # scikit-learn divides by it too, which is what its tol is relative to

    def loss_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        coef, intercept = theta[:-1], theta[-1]
        margin = y * (x @ coef + intercept)
        loss = -float(cw @ log_expit(margin)) + 0.5 * float(coef @ coef)
        pull = -cw * y * expit(-margin)  # d loss / d (x·coef + intercept), per sample
        return loss / scale, np.concatenate([x.T @ pull + coef, [pull.sum()]]) / scale

    found = minimize(
        loss_and_gradient,
        np.zeros(x.shape[1] + 1),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 200, "gtol": 1e-3},
    )
    return found.x[:-1].astype(np.float32), float(found.x[-1])


# ----------------------------------------------------------------------------------------------
# Scoring


def score(model: MemberModel, candidates: Papers) -> np.ndarray:
    """One score per candidate (float64; higher is better)."""
    return score_many([model], candidates)[0]


def score_many(models: Sequence[MemberModel], candidates: Papers, mix: Mix | None = None) -> np.ndarray:
    """Scores of every candidate for every member (members × candidates): each part is one matrix
    product, the text part a dense one and the others sparse ones over the candidates' own keys."""
    from scipy import sparse

    mix = mix or DEFAULT_MIX
    m, n = len(models), len(candidates)
    if m == 0 or n == 0:
        return np.zeros((m, n))
    w = np.stack([mm.vector for mm in models]).astype(np.float32)
    out = (w @ candidates.vectors.T).astype(np.float64)
    out += np.array([mm.bias for mm in models])[:, None]

    def part(name: str, weights_of, norm: str = "") -> np.ndarray:
        """members × candidates: Σ over each candidate's keys of the member's weight of the key,
        times 1 (norm ""), 1/count ("mean") or 1/√count ("sqrt") of the candidate's keys."""
        vocab, cand = candidates.key_matrix(name, norm)
        if not vocab:
            return np.zeros((m, n))
        mr: list[int] = []
        mc: list[int] = []
        mv: list[float] = []
        keys = vocab.keys()
        for i, mm in enumerate(models):
            weights = weights_of(mm)
            common = weights.keys() & keys  # only the keys today's papers have (a C-level loop)
            if common:
                mr.extend([i] * len(common))
                mc.extend([vocab[k] for k in common])
                mv.extend([weights[k] for k in common])
        if not mr:
            return np.zeros((m, n))
        mem = sparse.csr_matrix((mv, (mr, mc)), shape=(m, len(vocab)), dtype=np.float64)
        return (mem @ cand).toarray()

    if mix.authors and any(mm.authors for mm in models):
        out += mix.authors * part("authors", lambda mm: mm.authors)
    if mix.categories and any(mm.categories for mm in models):
        out += mix.categories * part("categories", lambda mm: mm.categories, "mean")
    if mix.terms and candidates.texts is not None and any(mm.terms for mm in models):
        out += mix.terms * part("terms", lambda mm: mm.terms, "sqrt")
    if any(mm.muted_authors or mm.muted_categories for mm in models):

        def muted(mm: MemberModel) -> dict[str, float]:
            return dict.fromkeys(mm.muted_authors, 1.0)

        def muted_cats(mm: MemberModel) -> dict[str, float]:
            return dict.fromkeys(mm.muted_categories, 1.0)

        hits = part("authors", muted) + part("categories", muted_cats)
        out += MUTE * (hits > 0)
    return out


# ----------------------------------------------------------------------------------------------
# Explaining and asking


@dataclass
class Explanation:
    nearest: list[tuple[int, float]]  # (index into the library, cosine), closest first
    terms: list[tuple[str, float]]  # the candidate's words the model weighs most
    authors: list[str]  # the candidate's author keys the member has saved or follows
    categories: list[tuple[str, float]]  # the candidate's categories and their weights


def explain(model: MemberModel, candidate: Papers, library: Papers, k: int = 3) -> Explanation:
    """Why `candidate` (a batch of one) ranks where it does: the `k` nearest papers of `library`
    (the member's saved or upvoted papers), its strongest terms, shared authors and categories."""
    if len(candidate) != 1:
        raise ValueError("explain takes one candidate")
    nearest: list[tuple[int, float]] = []
    if len(library):
        cos = library.vectors @ candidate.vectors[0]
        order = np.argsort(-cos, kind="stable")[:k]
        nearest = [(int(i), float(cos[i])) for i in order]
    words = candidate.term_lists()[0]
    terms = sorted(((t, model.terms[t]) for t in words if t in model.terms), key=lambda tv: -tv[1])[:5]
    authors = [a for a in candidate.authors[0] if model.authors.get(a, 0) > 0]
    cats = [(c, model.categories[c]) for c in candidate.categories[0] if c in model.categories]
    return Explanation(nearest=nearest, terms=terms, authors=authors, categories=cats)


def uncertain(model: MemberModel, pool: Papers, k: int = 10) -> np.ndarray:
    """Indices of the `k` papers of `pool` whose score is closest to the model's threshold."""
    if len(pool) == 0:
        return np.zeros(0, dtype=np.int64)
    distance = np.abs(score(model, pool) - model.threshold)
    return np.argsort(distance, kind="stable")[:k]


def train_many(inputs: Iterable[TrainingInput]) -> Iterable[MemberModel]:
    """Models one at a time, so that memory does not grow with the number of members."""
    for data in inputs:
        yield train(data)
