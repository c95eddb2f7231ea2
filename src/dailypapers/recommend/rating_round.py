"""The cold start's rating round: about ten recent papers the member's model is least sure about
(recommend.learning.uncertain), each rated "more like this", "less like this" or skipped.

A rating there teaches the model most: a paper it already places with confidence would only tell it
what it knows. A member with no signals yet has no model to be unsure with; they are shown the
most-voted recent papers of their followed categories (else of all), which the round then learns from.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F

from dailypapers.core.members import require_member
from dailypapers.papers.models import Listing, Paper, prefetch_cards
from dailypapers.recommend import learning, ranking
from dailypapers.recommend.models import Dismissal, Follow, Rating, Save

ROUND = 10  # papers a round asks about
POOL = 300  # recent papers the model chooses them from
MAX_RATED_AT_ONCE = 50  # a hand-made form cannot rate the catalogue in one request
VALUES = {"up": Rating.UP, "down": Rating.DOWN}


def pool(user: Any, size: int = POOL) -> list[Paper]:
    """Recent papers the member has not saved, dismissed or rated: the latest listed on the feed
    (what For you ranks), then, on a site with too few listings, the newest published."""
    seen = (
        set(Save.objects.filter(user=user).values_list("paper_id", flat=True))
        | set(Dismissal.objects.filter(user=user).values_list("paper_id", flat=True))
        | set(Rating.objects.filter(user=user).values_list("paper_id", flat=True))
    )
    # Read a little more than asked: a paper listed twice, or one the member has seen, is passed over.
    listed = Listing.objects.visible().order_by("-day", "-id").values_list("paper_id", flat=True)
    ids = [pk for pk in dict.fromkeys(listed[: 2 * size + len(seen)]) if pk not in seen][:size]
    if len(ids) < size:
        newest = Paper.objects.visible().filter(published_at__isnull=False).order_by("-published_at", "-id")
        taken = seen | set(ids)
        more = newest.values_list("id", flat=True)[: size + len(taken)]
        ids += [pk for pk in more if pk not in taken][: size - len(ids)]
    papers = Paper.objects.in_bulk(ids)
    return [papers[pk] for pk in ids if pk in papers]


class Round(list):
    """The papers of a round; `least_sure`: chosen by the member's model (else, without one, the
    most voted), which the page says."""

    least_sure = False


def choose(user: Any, k: int = ROUND) -> Round:
    """The papers of this round: the `k` of the pool the member's model is least sure about."""
    require_member(user, "rate papers")
    candidates = pool(user)
    if not candidates:
        return Round()
    picked = _least_sure(user, candidates, k)
    chosen = Round(prefetch_cards(picked if picked is not None else _most_voted(user, candidates, k)))
    chosen.least_sure = picked is not None
    return chosen


def _least_sure(user: Any, candidates: list[Paper], k: int) -> list[Paper] | None:
    """The `k` candidates nearest the model's threshold; None without a model to ask. The model is
    brought up to date first (the member may have just imported a library): a round chosen by the
    model of before the import would ask about what the import already answered."""
    _taste, model = ranking.current_model(user, train=True)
    if model is None:
        return None
    batch = ranking.paper_batch([p.pk for p in candidates], dim=len(model.vector))
    return [candidates[int(i)] for i in learning.uncertain(model, batch, k=k)]


def _most_voted(user: Any, candidates: list[Paper], k: int) -> list[Paper]:
    follows = Follow.objects.filter(user=user, kind=Follow.Kind.CATEGORY)
    followed = {code.lower() for code in follows.values_list("target", flat=True)}
    ids = [p.pk for p in candidates]
    votes = dict(
        Paper.objects.filter(pk__in=ids)
        .annotate(v=F("upvote_count") + F("imported_upvotes"))
        .values_list("pk", "v")
    )
    in_followed: set[int] = set()
    if followed:
        through = Paper.categories.through.objects.filter(paper_id__in=ids)
        pairs = through.values_list("paper_id", "category_id")
        in_followed = {pid for pid, code in pairs if code.lower() in followed}
    ranked = sorted(candidates, key=lambda p: (p.pk not in in_followed, -votes.get(p.pk, 0), -p.pk))
    return ranked[:k]


def record(user: Any, shown: list[str], answers: dict[str, str]) -> dict[str, int]:
    """Rate the shown papers as answered ("up", "down", anything else: skipped). `shown` are the
    papers' ids as the form sent them; unknown or hidden papers are passed over. Returns how many
    were rated up and down."""
    require_member(user, "rate papers")
    ids = list(dict.fromkeys(int(s) for s in shown if s.isascii() and s.isdigit() and len(s) <= 12))
    if len(ids) > MAX_RATED_AT_ONCE:
        raise ValidationError(f"At most {MAX_RATED_AT_ONCE} papers can be rated at once.", code="too_many")
    papers = {p.pk: p for p in Paper.objects.visible().filter(pk__in=ids)}
    counts = {"up": 0, "down": 0}
    for pk in ids:
        answer = answers.get(str(pk), "")
        if pk in papers and answer in VALUES:
            Rating.rate(user, papers[pk], VALUES[answer])
            counts[answer] += 1
    return counts
