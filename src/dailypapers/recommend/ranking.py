""" "For you": a member's signals turned into the model's training input, the model kept current, and
a span of the feed ranked for the member, with the reasons.

Training input (`training_input`): saved, upvoted and up-rated papers are positives; papers a member
followed upvoted are weak positives (FOLLOWED_MEMBER_WEIGHT each); "not interested" and down-ratings
are negatives; a sample of recently listed papers is the background (weak negatives: what there was
to pick from); followed authors and categories, muted authors and categories go to the model as
they are. Papers are seen through their stored search embeddings (search.PaperEmbedding), their
authors' keys, categories, title and abstract.

The model (`recommend.learning`) is trained by the `dailypapers recommend` worker for members whose
signals changed, and, when no worker got there first, by the first read that needs it (`current_model`):
a page, the private feed, the API or a digest. Both claim the member with Taste.claim, so one
member is never trained twice at once.

Ranking (`rank`): the span's papers are scored by the model in one matrix product; each paper's
place by that score and its place by the community's votes (the feed's "Most votes" order; equal
votes share their places' mean) are turned into shares of the span (1 = first, 0 = last) and mixed
with the member's Taste.mix:

    combined = mix × personal share + (1 - mix) × community share

so mix 0 is the community's order and mix 1 the member's alone. Dismissed papers and muted authors,
categories and keywords are then taken out (after ranking: a mute never moves anything else).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from dailypapers.community.models import Upvote
from dailypapers.papers.models import (
    Authorship,
    Listing,
    Paper,
    PaperCategory,
    prefetch_card_faces,
    prefetch_cards,
)
from dailypapers.papers.periods import Period
from dailypapers.recommend import learning
from dailypapers.recommend.models import Dismissal, Follow, Mute, Rating, Save, Taste
from dailypapers.search.models import PaperEmbedding

log = logging.getLogger("dailypapers.recommend")

FOLLOWED_MEMBER_WEIGHT = 0.3  # an upvote by a member one follows, against one's own signal's 1
FOLLOWED_MEMBER_UPVOTES = 200  # the latest upvotes read of each followed member
MAX_POSITIVES = 2000  # the latest of a member's own signals that training reads
MAX_NEGATIVES = 1000
BACKGROUND = 300  # recently listed papers sampled as the background
BACKGROUND_POOL = 3000  # ... from this many of the latest listed papers
DEFAULT_DIM = 384  # the bundled MiniLM's; used only when no paper has an embedding at all
_CHUNK = 500  # ids per IN (...): SQLite builds older than 3.32 take at most 999 parameters
NEAREST_MIN_COSINE = 0.3  # a library paper shown as "close to" must be at least this close
NEAREST_SHOWN = 2  # library papers a card's "Why here?" names as close to it


# --- reading papers ---------------------------------------------------------------------------------


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


class _Kept:
    """A small least-recently-used store shared by a process's threads, whose entries also expire.

    What a page reads again and again and what changes only with a member's signals or the
    catalogue is kept here (a span's papers as the model sees them, decoded models, a member's
    library), so that ranking a span costs its scoring rather than its reading."""

    def __init__(self, size: int, seconds: float | None = None) -> None:
        self.size, self.seconds = size, seconds
        self._items: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            found = self._items.pop(key, None)
            if found is None or (self.seconds is not None and time.monotonic() - found[0] > self.seconds):
                return None
            self._items[key] = found  # the most recent again
            return found[1]

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), value)
            while len(self._items) > self.size:
                del self._items[next(iter(self._items))]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# A span's candidates, shared by every member who reads it: a paper's new embedding or edited title
# reaches the ranking within the page cache's lifetime (DAILYPAPERS_PAGE_CACHE_SECONDS, 60).
_batches = _Kept(size=16)
# Decoded models, by taste and training time: a new training is a new key.
_models = _Kept(size=64)
# Members' libraries for "Why here?", by member and the time their signals last changed.
_libraries = _Kept(size=64, seconds=600)


def forget_kept() -> None:
    """Drop what this process keeps (tests and benchmarks that change papers under it)."""
    for kept in (_batches, _models, _libraries):
        kept.clear()


def candidate_batch(paper_ids: Sequence[int], dim: int) -> learning.Papers:
    """`paper_batch` for a span's papers, kept for a while for the next reader of the same span."""
    key = (tuple(paper_ids), dim)
    batch = _batches.get(key)
    if batch is None or settings.PAGE_CACHE_SECONDS <= 0:
        batch = paper_batch(paper_ids, dim, names=True)
        batch.term_lists()  # worked out once, with the batch
        _batches.seconds = max(settings.PAGE_CACHE_SECONDS, 1)
        _batches.put(key, batch)
    return batch


def paper_batch(paper_ids: Sequence[int], dim: int | None = None, names: bool = False) -> learning.Papers:
    """The papers as the model sees them, in the order given: stored embedding (zeros where there is
    none, or one of another size than `dim`), author keys, categories (primary first), title and
    abstract; with `names`, the authors' names too ("Why here?" names those the member likes)."""
    ids = list(paper_ids)
    vectors: dict[int, np.ndarray] = {}
    authors: dict[int, list[str]] = {pk: [] for pk in ids}
    # Key -> name: where one key is two co-authors, the later one's, as the author list goes.
    written: dict[int, dict[str, str]] = {pk: {} for pk in ids}
    categories: dict[int, list[str]] = {pk: [] for pk in ids}
    texts: dict[int, str] = {}
    primary: dict[int, str | None] = {}
    for chunk in _chunks(ids):
        for pk, raw in PaperEmbedding.objects.filter(paper_id__in=chunk).values_list("paper_id", "vector"):
            vectors[pk] = np.frombuffer(bytes(raw), dtype=np.float32)
        for pk, key, name in (
            Authorship.objects.filter(paper_id__in=chunk)
            .order_by("paper_id", "position")
            .values_list("paper_id", "author__key", "name")
        ):
            authors[pk].append(key)
            written[pk][key] = name
        for pk, code in PaperCategory.objects.filter(paper_id__in=chunk).values_list(
            "paper_id", "category_id"
        ):
            categories[pk].append(code)
        for pk, title, abstract, main in Paper.objects.filter(id__in=chunk).values_list(
            "id", "title", "abstract", "primary_category_id"
        ):
            texts[pk] = f"{title}. {abstract}"
            primary[pk] = main
    if dim is None:
        sizes = [len(v) for v in vectors.values()]
        dim = max(set(sizes), key=sizes.count) if sizes else DEFAULT_DIM
    matrix = np.zeros((len(ids), dim), dtype=np.float32)
    for row, pk in enumerate(ids):
        vector = vectors.get(pk)
        if vector is not None and len(vector) == dim:
            matrix[row] = vector
    for pk, main in primary.items():
        if main and main in categories[pk]:
            categories[pk].remove(main)
            categories[pk].insert(0, main)
    return learning.Papers(
        matrix,
        [list(dict.fromkeys(authors[pk])) for pk in ids],
        [categories[pk] for pk in ids],
        [texts.get(pk, "") for pk in ids],
        [written[pk] for pk in ids] if names else None,
    )


# --- what a member told us -----------------------------------------------------------------------------

SAVED, UPVOTED, RATED, FOLLOWED_MEMBER = "saved", "upvoted", "rated up", "followed member"
_SAID = {SAVED: "you saved it", UPVOTED: "you upvoted it", RATED: "you asked for more like it"}


@dataclass
class Signals:
    """A member's signals as training reads them."""

    # paper id -> (weight, when given, which signal); the strongest signal of a paper wins
    positives: dict[int, tuple[float, dt.datetime, str]] = field(default_factory=dict)
    negatives: list[int] = field(default_factory=list)
    followed_authors: list[str] = field(default_factory=list)
    followed_categories: list[str] = field(default_factory=list)
    followed_members: list[str] = field(default_factory=list)
    muted: dict[str, list[str]] = field(default_factory=dict)

    def add_positive(self, paper_id: int, weight: float, at: dt.datetime, source: str) -> None:
        old = self.positives.get(paper_id)
        if old is None or weight > old[0]:
            self.positives[paper_id] = (weight, at, source)

    @property
    def empty(self) -> bool:
        """Nothing to learn from: no paper liked, no author or category followed."""
        return not (self.positives or self.followed_authors or self.followed_categories)


def read_signals(user: Any) -> Signals:
    signals = Signals()
    for pk, at in (
        Save.objects.filter(user=user)
        .order_by("-saved_at")
        .values_list("paper_id", "saved_at")[:MAX_POSITIVES]
    ):
        signals.add_positive(pk, 1.0, at, SAVED)
    for pk, at in (
        Upvote.objects.filter(user=user)
        .order_by("-created_at")
        .values_list("paper_id", "created_at")[:MAX_POSITIVES]
    ):
        signals.add_positive(pk, 1.0, at, UPVOTED)
    negatives = dict.fromkeys(
        Dismissal.objects.filter(user=user).order_by("-at").values_list("paper_id", flat=True)[:MAX_NEGATIVES]
    )
    for pk, value, at in (
        Rating.objects.filter(user=user)
        .order_by("-at")
        .values_list("paper_id", "value", "at")[:MAX_POSITIVES]
    ):
        if value == Rating.UP:
            signals.add_positive(pk, 1.0, at, RATED)
        else:
            negatives.setdefault(pk)
    for kind, target in Follow.objects.filter(user=user).values_list("kind", "target"):
        {
            Follow.Kind.AUTHOR: signals.followed_authors,
            Follow.Kind.CATEGORY: signals.followed_categories,
            Follow.Kind.MEMBER: signals.followed_members,
        }[kind].append(target)
    members = get_user_model().objects.filter(is_active=True)
    for name in signals.followed_members:
        member = members.filter(username__iexact=name).first()
        if member is None:
            continue
        for pk, at in (
            Upvote.objects.filter(user=member)
            .order_by("-created_at")
            .values_list("paper_id", "created_at")[:FOLLOWED_MEMBER_UPVOTES]
        ):
            signals.add_positive(pk, FOLLOWED_MEMBER_WEIGHT, at, FOLLOWED_MEMBER)
    # "Not interested" outweighs an old upvote of the same paper, or a followed member's.
    for pk in negatives:
        signals.positives.pop(pk, None)
    signals.negatives = list(negatives)
    signals.muted = Mute.of(user)
    return signals


def background_ids(user_id: int, exclude: set[int]) -> list[int]:
    """A sample of the latest listed papers (those with an embedding, where any has one), the same
    for one member from one training to the next while the feed stands still."""
    listings = Listing.objects.visible().order_by("-day", "-id")
    embedded = listings.filter(paper__embedding__isnull=False)
    pool = list(dict.fromkeys(embedded.values_list("paper_id", flat=True)[:BACKGROUND_POOL]))
    if not pool:
        pool = list(dict.fromkeys(listings.values_list("paper_id", flat=True)[:BACKGROUND_POOL]))
    pool = [pk for pk in pool if pk not in exclude]
    if len(pool) <= BACKGROUND:
        return pool
    return random.Random(user_id).sample(pool, BACKGROUND)


def training_input(user: Any, now: dt.datetime | None = None) -> learning.TrainingInput | None:
    """What the model learns from for this member; None when there is nothing to learn from."""
    now = now or timezone.now()
    signals = read_signals(user)
    if signals.empty:
        return None
    positive_ids = list(signals.positives)
    background = background_ids(user.pk, set(positive_ids) | set(signals.negatives))
    everything = paper_batch(positive_ids + signals.negatives + background)
    n_pos, n_neg = len(positive_ids), len(signals.negatives)
    weights, ages = [], []
    for pk in positive_ids:
        weight, at, _source = signals.positives[pk]
        weights.append(weight)
        ages.append(max((now - at).total_seconds() / 86400.0, 0.0))
    return learning.TrainingInput(
        positives=everything.subset(range(n_pos)),
        positive_weights=weights,
        positive_ages=ages,
        negatives=everything.subset(range(n_pos, n_pos + n_neg)),
        background=everything.subset(range(n_pos + n_neg, len(everything))),
        followed_authors=signals.followed_authors,
        followed_categories=signals.followed_categories,
        muted_authors=signals.muted.get(Mute.Kind.AUTHOR, []),
        muted_categories=signals.muted.get(Mute.Kind.CATEGORY, []),
    )


# --- keeping the model current ---------------------------------------------------------------------


def is_due(taste: Taste) -> bool:
    """Signals changed since the stored model read them (or it was never trained)."""
    if taste.signals_changed_at is None:
        return False
    return taste.trained_at is None or taste.signals_changed_at > taste.trained_at


def claim_lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.RECOMMEND_CLAIM_TIMEOUT)


def retrain(
    taste: Taste, lease: dt.timedelta | None = None, pause: float = 0.0, only_if_due: bool = True
) -> bool:
    """Train the member's model and store it, if this process wins the claim on them. True when a
    model (or, for a member with nothing to learn from, its absence) was stored. `pause`: seconds to
    hold the claim before training (the tests' way of running two workers side by side).
    `only_if_due`: train only a member still due once claimed (False: also one whose stored model
    this version cannot read)."""
    if not taste.claim(lease or claim_lease()):
        return False
    try:
        if pause:
            time.sleep(pause)
        # Read under the claim, and before the signals themselves: `taste` may have been read before
        # another worker stored a model and let its claim go, and a signal committed after this read
        # moves `signals_changed_at` on, so the member stays due; one committed before is read below.
        trained_at, changed_at = Taste.objects.filter(pk=taste.pk).values_list(
            "trained_at", "signals_changed_at"
        ).first() or (None, None)
        if only_if_due and trained_at is not None and not (changed_at and changed_at > trained_at):
            taste.release()  # trained meanwhile by another worker
            return False
        read_at = timezone.now()
        data = training_input(taste.user, read_at)
        if data is None:
            kind, raw = "", None
        else:
            model = learning.train(data)
            kind, raw = model.kind, model.to_bytes()
    except BaseException:
        taste.release()
        raise
    return taste.store(kind, raw, changed_at or read_at)


def decode(taste: Taste | None) -> learning.MemberModel | None:
    """The taste's stored model; None when there is none, or it is one this version cannot read."""
    if taste is None or not taste.model_kind:
        return None
    key = (taste.pk, taste.trained_at, taste.model_kind)
    model = _models.get(key)
    if model is None:
        raw = taste.model  # deferred by current_model: read only when not kept
        if not raw:
            return None
        try:
            model = learning.MemberModel.from_bytes(bytes(raw))
        except (ValueError, KeyError, TypeError):  # a model stored by another version of the site
            return None
        _models.put(key, model)
    return model


def current_model(user: Any, train: bool = True) -> tuple[Taste | None, learning.MemberModel | None]:
    """The member's taste and model. A member whose signals changed since the model read them (or
    whose model this version cannot read) is trained now, unless a worker holds them: then the model
    stored so far serves, and the worker's new one the next read."""
    if user is None or not user.is_authenticated:
        return None, None
    taste = Taste.objects.select_related("user").defer("model").filter(user=user).first()
    if taste is None:
        return None, None
    model = decode(taste)
    stale = is_due(taste) or (taste.model_kind and model is None)
    if train and stale:
        try:
            if retrain(taste, only_if_due=model is not None or not taste.model_kind):
                model = decode(taste)
        except Exception:  # a model that cannot be trained must not take the page down
            log.exception("recommend: training the model of member %s failed", taste.user_id)
    return taste, model


# --- ranking --------------------------------------------------------------------------------------------

_WORD_CHARS = r"[^\W_]"


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern | None:
    """Whole words or phrases, any case (as the digests and auto-listing rules match keywords); the
    words of a phrase may be apart by any white space (an abstract's line break)."""
    if not keywords:
        return None
    alternatives = "|".join(
        r"\s+".join(re.escape(word) for word in k.split()) for k in sorted(keywords, key=len, reverse=True)
    )
    return re.compile(rf"(?<!{_WORD_CHARS})(?:{alternatives})(?!{_WORD_CHARS})", re.IGNORECASE)


def _shares(values: np.ndarray) -> np.ndarray:
    """Each value's place among all of them as a share: 1 for the highest, 0 for the lowest, and
    equal values share their places' mean (papers with as many votes are as high by the votes)."""
    n = len(values)
    if n < 2:
        return np.ones(n)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(n)
    ranks[order] = np.arange(n, dtype=float)
    # Mean place of each group of equal values.
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks)
    return (sums / counts)[inverse] / (n - 1)


@dataclass
class Pick:
    """One paper of a ranking and its figures. Its listing (with the paper) is read only for the
    picks on show: `Ranking.load`."""

    listing_id: int
    paper_id: int
    votes: int
    index: int  # in the ranking's candidate batch
    combined: float
    personal: float | None = None  # the model's score
    personal_rank: int | None = None  # 1 = the member's favourite of the span
    community_rank: int = 0  # 1 = the most voted of the span
    listing: Listing | None = None

    @property
    def paper(self) -> Paper:
        if self.listing is None:  # one query: callers that show many picks load them together
            self.listing = Listing.objects.select_related("paper").get(pk=self.listing_id)
        return self.listing.paper


@dataclass
class Ranking:
    """A span of the feed ranked for one member."""

    user: Any
    picks: list[Pick]
    cold: bool  # nothing learned yet: the community's order
    mix: float
    candidates: int  # papers ranked, before dismissals and mutes
    hidden: int  # taken out by dismissals and mutes
    model: learning.MemberModel | None = None
    batch: learning.Papers | None = None
    taste: Taste | None = None
    _library: tuple[list[int], list[str], dict[int, str], np.ndarray] | None = None

    def load(self, picks: Iterable[Pick] | None = None, page: bool = False) -> list[Pick]:
        """Read the listings (with their papers, submitters and what cards show) of these picks
        (all of them by default) in a few queries; returns the picks. With `page`, for a page's
        cards: only the authors they name (prefetch_card_faces), not every author."""
        picks = list(self.picks if picks is None else picks)
        missing = [pick for pick in picks if pick.listing is None]
        if missing:
            # A page's cards show neither the primary category nor the submitter's profile.
            related = (
                ("paper", "submitted_by")
                if page
                else ("paper__primary_category", "submitted_by__profile", "organization")
            )
            found = Listing.objects.select_related(*related).in_bulk([pick.listing_id for pick in missing])
            for pick in missing:
                pick.listing = found[pick.listing_id]
            prefetch = prefetch_card_faces if page else prefetch_cards
            prefetch(pick.listing.paper for pick in missing)
        return picks

    def explain(self, picks: Iterable[Pick]) -> None:
        """Set each pick's listing.placement to its "Why here?" (for the picks on show only)."""
        picks = self.load(picks)
        if not picks:
            return
        if self.model is None or self.batch is None:
            for pick in picks:
                pick.listing.placement = Placement(pick, self, None, [], {})
            return
        ids, sources, titles, vectors = self.library()
        library = learning.Papers(vectors, [()] * len(ids), [()] * len(ids))
        source_of = dict(zip(ids, sources, strict=True))
        for pick in picks:
            one = self.batch.subset([pick.index])
            # One more than shown: a paper of the member's own library is its own nearest, and is
            # said to be theirs rather than "close to" itself.
            why = learning.explain(self.model, one, library, k=NEAREST_SHOWN + 1)
            nearest = [
                (ids[i], titles.get(ids[i], ""), sources[i], cos)
                for i, cos in why.nearest
                if cos >= NEAREST_MIN_COSINE and ids[i] != pick.paper_id
            ][:NEAREST_SHOWN]
            # The names come with the span's kept papers: a page reads only the authors cards show.
            names = one.names[0] if one.names is not None else {}
            placement = Placement(pick, self, why, nearest, names, own=source_of.get(pick.paper_id))
            pick.listing.placement = placement

    def library(self) -> tuple[list[int], list[str], dict[int, str], np.ndarray]:
        """The member's own liked papers (saved, upvoted, rated up; the latest LIBRARY of them) for
        "close to ...": their ids, the signal, titles and embeddings."""
        if self._library is None:
            dim = self.batch.dim if self.batch is not None else DEFAULT_DIM
            key = (self.user.pk, self.taste.signals_changed_at if self.taste else None, dim)
            self._library = _libraries.get(key)
            if self._library is None:
                self._library = _read_library(self.user, dim)
                _libraries.put(key, self._library)
        return self._library


LIBRARY = 500


def _read_library(user: Any, dim: int) -> tuple[list[int], list[str], dict[int, str], np.ndarray]:
    own: dict[int, tuple[dt.datetime, str]] = {}
    rows = [
        (Save.objects.filter(user=user), "saved_at", SAVED),
        (Upvote.objects.filter(user=user), "created_at", UPVOTED),
        (Rating.objects.filter(user=user, value=Rating.UP), "at", RATED),
    ]
    for queryset, when, source in rows:
        for pk, at in queryset.order_by(f"-{when}").values_list("paper_id", when)[:LIBRARY]:
            if pk not in own or at > own[pk][0]:
                own[pk] = (at, source)
    dismissed = Dismissal.hidden_ids(user)
    latest = sorted((pk for pk in own if pk not in dismissed), key=lambda pk: own[pk][0], reverse=True)[
        :LIBRARY
    ]
    vectors = np.zeros((len(latest), dim), dtype=np.float32)
    titles: dict[int, str] = {}
    row_of = {pk: row for row, pk in enumerate(latest)}
    for chunk in _chunks(latest):
        for pk, raw in PaperEmbedding.objects.filter(paper_id__in=chunk).values_list("paper_id", "vector"):
            vector = np.frombuffer(bytes(raw), dtype=np.float32)
            if len(vector) == dim:
                vectors[row_of[pk]] = vector
        titles.update(Paper.objects.filter(id__in=chunk).values_list("id", "title"))
    return latest, [own[pk][1] for pk in latest], titles, vectors


def rank(user: Any, listings: QuerySet, train: bool = True) -> Ranking:
    """`listings` (visible, one per paper) ranked for the member, dismissed and muted papers taken
    out. A member with no model yet (cold) gets the community's order."""
    # Ids and votes only: the listings themselves are read for the picks on show (Ranking.load).
    community = list(listings.ranked("votes").values_list("id", "paper_id", "votes"))
    taste, model = current_model(user, train=train)
    mix = taste.mix if taste is not None else 1.0
    n = len(community)
    batch = None
    if model is None or n == 0:
        picks = [
            Pick(listing, paper, votes, i, 1.0 - i / max(n - 1, 1), community_rank=i + 1)
            for i, (listing, paper, votes) in enumerate(community)
        ]
    else:
        batch = candidate_batch([paper for _listing, paper, _votes in community], dim=len(model.vector))
        scores = learning.score(model, batch)
        personal_order = np.argsort(-scores, kind="stable")
        personal_rank = np.empty(n, dtype=int)
        personal_rank[personal_order] = np.arange(1, n + 1)
        votes = np.array([votes for _listing, _paper, votes in community], dtype=float)
        combined = mix * _shares(scores) + (1 - mix) * _shares(votes)
        # Ties (mix 0 above all) keep the community's order.
        order = sorted(range(n), key=lambda i: (-combined[i], i))
        picks = [
            Pick(
                *community[i],
                i,
                float(combined[i]),
                personal=float(scores[i]),
                personal_rank=int(personal_rank[i]),
                community_rank=i + 1,
            )
            for i in order
        ]
    kept = _without_hidden(user, picks, batch)
    return Ranking(
        user=user,
        picks=kept,
        cold=model is None,
        mix=mix,
        candidates=n,
        hidden=len(picks) - len(kept),
        model=model,
        batch=batch,
        taste=taste,
    )


def _without_hidden(user: Any, picks: list[Pick], batch: learning.Papers | None) -> list[Pick]:
    """The picks without the member's dismissed papers and their muted authors, categories and
    keywords."""
    if not picks or user is None or not user.is_authenticated:
        return picks
    dismissed = Dismissal.hidden_ids(user)
    muted = Mute.of(user)
    authors, categories = set(muted[Mute.Kind.AUTHOR]), set(muted[Mute.Kind.CATEGORY])
    keywords = _keyword_pattern(muted[Mute.Kind.KEYWORD])
    if not (dismissed or authors or categories or keywords):
        return picks
    if batch is None and (authors or categories or keywords):
        batch = paper_batch([pick.paper_id for pick in picks])
        index = {pick.paper_id: row for row, pick in enumerate(picks)}
    else:
        index = {pick.paper_id: pick.index for pick in picks}
    kept = []
    for pick in picks:
        if pick.paper_id in dismissed:
            continue
        if batch is not None:
            row = index[pick.paper_id]
            if authors and not authors.isdisjoint(batch.authors[row]):
                continue
            if categories and not categories.isdisjoint(batch.categories[row]):
                continue
            if keywords is not None and keywords.search(batch.texts[row]):
                continue
        kept.append(pick)
    return kept


def period_listings(period: Period) -> QuerySet:
    return Listing.objects.visible().between(period.start, period.end).latest_per_paper()


def for_you(user: Any, period: Period, train: bool = True) -> Ranking:
    """The period's papers ranked for the member (see `rank`)."""
    return rank(user, period_listings(period), train=train)


# --- "Why here?" ----------------------------------------------------------------------------------------


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _quoted(title: str, limit: int = 90) -> str:
    title = " ".join(title.split())
    return f"“{title[: limit - 1]}…”" if len(title) > limit else f"“{title}”"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass
class Placement:
    """Why a card of "For you" is where it is, in words (the card's "Why here?"). It stands where the
    community feeds put papers.ranking.Placement, so the card shows it the same way."""

    pick: Pick
    ranking: Ranking
    why: learning.Explanation | None
    nearest: list[tuple[int, str, str, float]]  # (paper id, title, signal, cosine)
    author_names: dict[str, str]
    own: str | None = None  # the paper is in the member's library: how (SAVED, UPVOTED, RATED)

    sort = "for_you"  # not a community sort: a vote on the card leaves this explanation as it is

    @property
    def rank(self) -> int | None:
        return None

    def sentences(self) -> list[str]:
        pick, ranking = self.pick, self.ranking
        votes = pick.paper.total_votes
        community = (
            f"The community's votes ({votes}) put it {_ordinal(pick.community_rank)} of {ranking.candidates}."
        )
        if self.why is None or pick.personal_rank is None:
            return [
                "Nothing is learned of your taste yet, so this is the community's order.",
                community,
            ]
        out = [
            f"Your taste puts it {_ordinal(pick.personal_rank)} of {ranking.candidates}. {community}",
            f"Your mix weighs your taste at {round(ranking.mix * 100)}% and the votes at "
            f"{round((1 - ranking.mix) * 100)}%.",
        ]
        if self.own:
            out.append(_SAID[self.own].capitalize() + ".")
        if self.nearest:
            parts = [f"{_quoted(title)} ({_SAID[source]})" for _pk, title, source, _cos in self.nearest]
            out.append(f"Close to {_and(parts)}.")
        if self.why.terms:
            out.append("Words you read about: " + ", ".join(t for t, _ in self.why.terms[:4]) + ".")
        if self.why.authors:
            names = [self.author_names.get(key, key) for key in self.why.authors[:3]]
            out.append(f"By {_and(names)}, whose papers you like or follow.")
        liked_categories = [code for code, weight in self.why.categories if weight > 0]
        if liked_categories:
            out.append(f"In {_and(liked_categories[:3])}, which you read or follow.")
        return out


# --- the worker -------------------------------------------------------------------------------------------


@dataclass
class PassResult:
    trained: list[int] = field(default_factory=list)  # user ids
    skipped: int = 0  # held by another worker
    failed: int = 0
    seconds: float = 0.0


def due_tastes(limit: int = 200) -> list[int]:
    return list(Taste.objects.due().order_by("signals_changed_at", "id").values_list("id", flat=True)[:limit])


def train_due(
    limit: int | None = None, stop: threading.Event | None = None, pause: float = 0.0, report=None
) -> PassResult:
    """One pass of the worker: train every member whose signals changed since their model was
    trained, each claimed first (a member another worker holds is left to it). Stops early when
    `stop` is set; whatever it has not reached stays due."""
    result = PassResult()
    started = time.monotonic()
    seen: set[int] = set()
    while not (stop and stop.is_set()):
        batch = [pk for pk in due_tastes() if pk not in seen]
        if not batch:
            break
        for taste_id in batch:
            if stop and stop.is_set() or (limit is not None and len(result.trained) >= limit):
                break
            seen.add(taste_id)
            taste = Taste.objects.select_related("user").filter(pk=taste_id).first()
            if taste is None or not is_due(taste):
                continue
            try:
                if retrain(taste, pause=pause):
                    result.trained.append(taste.user_id)
                    if report:
                        report(f"trained {taste.user.get_username()}")
                else:
                    result.skipped += 1
            except Exception:
                log.exception("recommend: training member %s failed", taste.user_id)
                result.failed += 1
        if limit is not None and len(result.trained) >= limit:
            break
    result.seconds = time.monotonic() - started
    return result
