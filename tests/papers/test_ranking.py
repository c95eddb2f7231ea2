"""Trending: the gravity score in the database agrees with its explanation, and orders as documented."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dailypapers.papers import ranking
from dailypapers.papers.models import Listing, Paper
from dailypapers.papers.periods import feed_day
from tests.support.factories import listed_paper

pytestmark = pytest.mark.django_db


def set_listed(arxiv_id: str, hours_ago: float, now: dt.datetime, votes: int = 0, comments: int = 0) -> None:
    paper = listed_paper(arxiv_id, f"Paper {arxiv_id}")
    Paper.objects.filter(pk=paper.pk).update(upvote_count=votes, comment_count=comments)
    Listing.objects.filter(paper=paper).update(submitted_at=now - dt.timedelta(hours=hours_ago))


def test_score_formula_and_database_agree():
    now = timezone.now()
    set_listed("2611.00300", 1, now, votes=10, comments=4)
    set_listed("2611.00301", 30, now, votes=40)
    set_listed("2611.00302", 0.1, now, votes=1)
    ranked = list(Listing.objects.visible().ranked("trending", now=now).select_related("paper"))
    for listing in ranked:
        placement = ranking.explain(listing, "trending", now=now)
        assert listing.trend_score == pytest.approx(placement.score, rel=1e-6)
        assert listing.trend_age_hours == pytest.approx(placement.age_hours, rel=1e-6, abs=1e-6)
    assert ranked[0].paper.arxiv_id == "2611.00300"
    # 10 votes + 0.5 × 4 comments = 12 points, 1 hour old: 12 / 3^1.8
    assert ranked[0].trend_score == pytest.approx(12 / 3**1.8, rel=1e-6)
    # 40 votes a day and a bit ago sink below one fresh vote: gravity.
    assert [r.paper.arxiv_id for r in ranked] == ["2611.00300", "2611.00302", "2611.00301"]


def test_listing_without_a_time_counts_from_the_start_of_its_feed_day():
    listed_paper("2611.00310")
    listing = Listing.objects.select_related("paper").get()
    assert listing.submitted_at is None
    now = timezone.now()
    expected = (now - ranking.listed_at(listing)).total_seconds() / 3600
    annotated = Listing.objects.ranked("trending", now=now).get()
    assert annotated.trend_age_hours == pytest.approx(expected, abs=1e-3)
    assert 0 <= expected < 25


def test_constants_are_settings(settings):
    now = timezone.now()
    set_listed("2611.00320", 10, now, votes=5, comments=10)
    settings.TRENDING_GRAVITY, settings.TRENDING_OFFSET_HOURS, settings.TRENDING_COMMENT_WEIGHT = (
        1.0,
        0.0,
        1.0,
    )
    listing = Listing.objects.ranked("trending", now=now).get()
    assert listing.trend_score == pytest.approx(15 / 10, rel=1e-4)


def test_explanation_in_words():
    now = timezone.now()
    set_listed("2611.00330", 5, now, votes=3, comments=2)
    Paper.objects.filter(arxiv_id="2611.00330").update(imported_site="huggingface", imported_upvotes=4)
    listing = Listing.objects.select_related("paper").get()
    text = " ".join(ranking.explain(listing, "trending", rank=1, now=now).sentences())
    assert "Placed #1 by its trending score" in text
    assert "7 votes (3 here, 4 on Hugging Face) and 2 comments" in text
    assert "listed 5 hours ago" in text
    votes_text = " ".join(ranking.explain(listing, "votes", rank=2, now=now).sentences())
    assert "Placed #2 because “Most votes” orders by votes: it has 7 votes" in votes_text


def test_trending_window():
    now = timezone.now()
    listed_paper("2611.00340", day=feed_day(now))
    listed_paper("2611.00341", day=feed_day(now) - dt.timedelta(days=10))
    ids = [li.paper.arxiv_id for li in Listing.objects.visible().trending_window(now).ranked("trending")]
    assert ids == ["2611.00340"]


def test_trending_window_counts_back_from_the_latest_feed_day():
    """A site whose last papers are a month old still has its trending: the latest feed day's week."""
    today = feed_day()
    listed_paper("2611.00350", day=today - dt.timedelta(days=30))
    listed_paper("2611.00351", day=today - dt.timedelta(days=36))  # within 7 days of the latest
    listed_paper("2611.00352", day=today - dt.timedelta(days=37))  # a week before the latest: out
    listed_paper("2611.00353", day=today + dt.timedelta(days=1))  # not a feed day yet: never counted
    window = Listing.objects.visible().trending_window()
    assert sorted(listing.paper.arxiv_id for listing in window) == ["2611.00350", "2611.00351"]
