"""Saved searches run through the site's search engine (dailypapers.search), when it is installed."""

from __future__ import annotations


def search_available() -> bool:
    try:
        from dailypapers.search.service import search_papers  # noqa: F401
    except ImportError:
        return False
    return True
