"""Saved searches run through the site's search engine (dailypapers.search), when it is installed."""

from __future__ import annotations

import datetime as dt
import logging

from dailypapers.papers.periods import Period

log = logging.getLogger("dailypapers.digests")


def search_available() -> bool:
    try:
        from dailypapers.search.service import search_papers  # noqa: F401
    except ImportError:
        return False
    return True


# Papers reach a feed day some days after arXiv first publishes them; the search engine filters on
# the publication date, so a period's saved search looks that far back.
PUBLISHED_BEFORE_LISTING = dt.timedelta(days=7)


def search_period(query: str, period: Period, limit: int = 100) -> list[int] | None:
    """Ids of the best `limit` matches for `query` published around the period (the caller keeps
    those listed in it); None when there is no search engine."""
    try:
        from dailypapers.search.service import search_papers
    except ImportError:
        return None
    try:
        result = search_papers(
            query, since=period.start - PUBLISHED_BEFORE_LISTING, until=period.end, limit=limit
        )
    except Exception:  # a broken index must not stop the digests: the query matches nothing
        log.exception("digests: saved search %r failed", query)
        return []
    return [hit.paper.pk for hit in result.hits]
