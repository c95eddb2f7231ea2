"""The trending score, in the database (for ordering) and in Python (for explaining one card).

    points = votes + COMMENT_WEIGHT × comments
    score  = points / (hours since listed + OFFSET) ^ GRAVITY

This is Hacker News' "gravity" ranking. The constants (settings, shown on /about/ranking):

- GRAVITY 1.8 (Hacker News' value): a paper's score halves after roughly its first two hours and keeps
  falling, so a paper needs fresh votes to stay on top; 1.8 lets a well-voted paper from yesterday
  still beat a brand-new one with a single vote (30 votes at 24 h ≈ 0.09; 1 vote at 0 h ≈ 0.29 —
  but 30 votes at 12 h ≈ 0.25 and at 6 h ≈ 0.71).
- OFFSET 2 hours: keeps a paper listed a minute ago from dividing by almost zero.
- COMMENT_WEIGHT 0.5: a discussion counts, but two comments weigh one vote, so that a long thread
  cannot outrank what members actually upvoted.

Trending by stars ranks the same listings that have a GitHub repository by the stars it gained:

    star growth = stars today − stars TRENDING_STAR_DAYS days ago

"Stars today" is the latest daily count the stars worker recorded (dailypapers.sources.github_stars),
"days ago" the last count on or before that day; for a repository followed for less time, the first
count recorded, so it gains only what was seen here. Ties go to more stars, then more votes.

Votes and comments are this site's plus those imported from another site (shown apart on cards):
both are signals of interest in the paper. "Listed" is the moment the paper reached the feed (its
submission time), or, for listings that carry only a day, the start of that feed day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import ExpressionWrapper, F, FloatField, Func, Value
from django.db.models.functions import Coalesce, Greatest, Power
from django.utils import timezone

from dailypapers.papers.periods import feed_day, feed_time

# The orders a feed can be read in (ListingQuerySet.ranked, explain), as the page names them.
SORTS = {"votes": "Most votes", "trending": "Trending", "new": "Newest"}
# The orders /papers/trending offers.
TRENDING_SORTS = {"trending": "By score", "stars": "By GitHub stars"}


class EpochSeconds(Func):
    """Seconds since 1970 of a datetime or date column (a date counts from its midnight, UTC)."""

    output_field = FloatField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores datetimes as ISO text in UTC; julianday reads both dates and datetimes.
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        )

    def as_postgresql(self, compiler, connection, **extra):
        # date_part gives double precision directly; EXTRACT gives numeric (PG 14+), far slower to sort on.
        return self.as_sql(compiler, connection, template="date_part('epoch', %(expressions)s)")

    def as_sql(self, compiler, connection, **extra):
        if "template" not in extra and connection.vendor not in {"sqlite", "postgresql"}:
            extra["template"] = "UNIX_TIMESTAMP(%(expressions)s)"  # MySQL/MariaDB
        return super().as_sql(compiler, connection, **extra)


def feed_day_offset_seconds(day: dt.date | None = None) -> float:
    """How far the feed time zone's midnight is from UTC midnight (New York: +5 h, or +4 h in summer)."""
    offset = feed_time(day or feed_day()).utcoffset() or dt.timedelta()
    return -offset.total_seconds()


@dataclass(frozen=True)
class Constants:
    gravity: float
    offset_hours: float
    comment_weight: float

    @classmethod
    def current(cls) -> Constants:
        return cls(
            settings.TRENDING_GRAVITY, settings.TRENDING_OFFSET_HOURS, settings.TRENDING_COMMENT_WEIGHT
        )


def listed_at_expression(prefix: str = ""):
    """The database expression for when a listing reached the feed, in epoch seconds."""
    return Coalesce(
        EpochSeconds(F(f"{prefix}submitted_at")),
        EpochSeconds(F(f"{prefix}day")) + Value(feed_day_offset_seconds()),
        output_field=FloatField(),
    )


def score_expressions(now: dt.datetime | None = None, prefix: str = "") -> dict:
    """Annotations for a Listing queryset: trend_points, trend_age_hours and trend_score."""
    c = Constants.current()
    now_epoch = (now or timezone.now()).timestamp()
    points = ExpressionWrapper(
        F(f"{prefix}paper__upvote_count")
        + F(f"{prefix}paper__imported_upvotes")
        + Value(c.comment_weight)
        * (F(f"{prefix}paper__comment_count") + F(f"{prefix}paper__imported_comments")),
        output_field=FloatField(),
    )
    age_hours = Greatest(
        (Value(now_epoch) - listed_at_expression(prefix)) / Value(3600.0),
        Value(0.0),
        output_field=FloatField(),
    )
    return {
        "trend_points": points,
        "trend_age_hours": age_hours,
        "trend_score": ExpressionWrapper(
            F("trend_points") / Power(F("trend_age_hours") + Value(c.offset_hours), Value(c.gravity)),
            output_field=FloatField(),
        ),
    }


def listed_at(listing) -> dt.datetime:
    """When a listing reached the feed (Python twin of listed_at_expression)."""
    if listing.submitted_at:
        return listing.submitted_at
    midnight = dt.datetime.combine(listing.day, dt.time(), tzinfo=dt.UTC)
    return midnight + dt.timedelta(seconds=feed_day_offset_seconds())


def score(votes: int, comments: int, age_hours: float, constants: Constants | None = None) -> float:
    c = constants or Constants.current()
    return (votes + c.comment_weight * comments) / (max(age_hours, 0.0) + c.offset_hours) ** c.gravity


@dataclass(frozen=True)
class Placement:
    """Why a card sits where it does: the figures behind its rank, and the same in words."""

    sort: str
    rank: int | None
    votes_here: int
    votes_imported: int
    imported_site: str
    comments_here: int
    comments_imported: int
    age_hours: float
    points: float
    score: float
    constants: Constants
    # Trending by stars: the latest count, the one it is measured from, over how many days.
    stars: int = 0
    stars_before: int = 0
    star_days: int = 0

    @property
    def votes(self) -> int:
        return self.votes_here + self.votes_imported

    @property
    def comments(self) -> int:
        return self.comments_here + self.comments_imported

    def sentences(self) -> list[str]:
        c = self.constants
        votes = f"{self.votes} vote{'s' if self.votes != 1 else ''}"
        if self.votes_imported:
            votes += f" ({self.votes_here} here, {self.votes_imported} on {self.imported_site})"
        comments = f"{self.comments} comment{'s' if self.comments != 1 else ''}"
        if self.comments_imported:
            comments += f" ({self.comments_here} here, {self.comments_imported} on {self.imported_site})"
        where = f"#{self.rank}" if self.rank else "here"
        if self.sort == "stars":
            growth = self.stars - self.stars_before
            return [
                f"Placed {where} by the GitHub stars its code gained: {growth:+,} in {self.star_days} "
                f"days ({self.stars:,} now, {self.stars_before:,} then).",
                "Ties go to more stars, then to more votes.",
            ]
        if self.sort == "new":
            return [
                f"Placed {where} because “Newest” orders by when papers were listed; it was listed "
                f"{_hours(self.age_hours)} ago."
            ]
        if self.sort == "trending":
            return [
                f"Placed {where} by its trending score {self.score:.3f}.",
                f"It has {votes} and {comments}: {self.votes} + {c.comment_weight:g} × {self.comments} "
                f"= {self.points:g} points.",
                f"It was listed {_hours(self.age_hours)} ago: {self.points:g} / ({self.age_hours:.1f} + "
                f"{c.offset_hours:g})^{c.gravity:g} = {self.score:.3f}.",
            ]
        return [
            f"Placed {where} because “Most votes” orders by votes: it has {votes}.",
            "Ties go to the later feed day, then to the later submission.",
        ]


def _hours(hours: float) -> str:
    if hours < 1:
        return "less than an hour"
    if hours < 48:
        return f"{hours:.0f} hour{'s' if round(hours) != 1 else ''}"
    return f"{hours / 24:.0f} days"


def explain(
    listing, sort: str = "trending", rank: int | None = None, now: dt.datetime | None = None
) -> Placement:
    """Why `listing` (a papers.Listing with its paper) is placed where it is under `sort`."""
    paper = listing.paper
    c = Constants.current()
    age = max(((now or timezone.now()) - listed_at(listing)).total_seconds() / 3600.0, 0.0)
    comments = paper.comment_count + paper.imported_comments
    votes = paper.upvote_count + paper.imported_upvotes
    return Placement(
        sort=sort,
        rank=rank,
        votes_here=paper.upvote_count,
        votes_imported=paper.imported_upvotes,
        imported_site=paper.imported_site_name,
        comments_here=paper.comment_count,
        comments_imported=paper.imported_comments,
        age_hours=age,
        points=votes + c.comment_weight * comments,
        score=score(votes, comments, age, c),
        constants=c,
        stars=getattr(listing, "star_count", None) or 0,
        stars_before=getattr(listing, "star_base", None) or 0,
        star_days=settings.TRENDING_STAR_DAYS,
    )
