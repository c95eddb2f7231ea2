"""Saved searches run through the site's search engine (dailypapers.search), when it is installed."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.conf import settings

from dailypapers.papers.periods import Period

log = logging.getLogger("dailypapers.digests")


def search_available() -> bool:
    try:
        from dailypapers.search.service import search_papers  # noqa: F401
    except ImportError:
        return False
    return True


def search_period(query: str, period: Period, limit: int = 200) -> list[int] | None:
    """Paper ids for `query` among papers of the period; None when there is no search engine."""
    try:
        from dailypapers.search.service import search_papers
    except ImportError:
        return None
    zone = ZoneInfo(settings.FEED_TIME_ZONE)
    since = dt.datetime.combine(period.start, dt.time(), tzinfo=zone)
    until = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    try:
        result = search_papers(query, since=since, until=until, limit=limit)
    except Exception:  # a broken index must not stop the digests; the query matches nothing
        log.exception("digests: saved search %r failed", query)
        return []
    return [hit.paper.pk for hit in result.hits]
