"""Saved searches, run through the site's search engine (dailypapers.search.query)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings

from dailypapers.papers.periods import Period

log = logging.getLogger("dailypapers.digests")

# Papers reach a feed day some days after arXiv first publishes them; the search engine filters on
# the publication date, so a period's saved search looks that far back.
PUBLISHED_BEFORE_LISTING = dt.timedelta(days=7)


def search_available() -> bool:
    try:
        from dailypapers.search.query import search_papers  # noqa: F401
    except ImportError:
        return False
    return True


def search_period(query: str, period: Period, limit: int = 100) -> list[int] | None:
    """Ids of the papers that match `query` among those published around the period (the caller
    keeps the ones listed in it); None when there is no search engine.

    The engine ranks every paper (its semantic half always finds nearest neighbours), so a hit
    counts as a match when the query's words are in it (a BM25 hit or an exact title or id), or
    when its meaning is close enough: a cosine of at least DIGEST_SEARCH_MIN_SIMILARITY."""
    try:
        from dailypapers.search.query import search_papers
    except ImportError:
        return None
    try:
        result = search_papers(
            query, since=period.start - PUBLISHED_BEFORE_LISTING, until=period.end, limit=limit
        )
    except Exception:  # a broken index must not stop the digests: the query matches nothing
        log.exception("digests: saved search %r failed", query)
        return []
    threshold = settings.DIGEST_SEARCH_MIN_SIMILARITY
    return [
        hit.paper.pk
        for hit in result.hits
        if hit.match or hit.lexical_rank is not None or (hit.dense_score or 0.0) >= threshold
    ]
