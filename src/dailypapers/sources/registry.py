"""The remote sources `dailypapers sync` runs, by name, in their default order.

Each is `sync(fetcher, categories, report=print) -> UpsertResult`: it fetches what is new for the
arXiv categories, hands PaperRecords to `ingest.upsert`, and raises `http.SourceError` on failure.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.module_loading import import_string

SOURCES: dict[str, str] = {
    "rss": "dailypapers.sources.arxiv_rss.sync",  # today's announcements: the fast path
    "oai": "dailypapers.sources.oai.sync",  # everything new or changed since the last harvest
}


def source(name: str) -> Callable:
    return import_string(SOURCES[name])
