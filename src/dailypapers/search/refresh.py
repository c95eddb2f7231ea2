"""Keeping the search index up to date as papers arrive (imports, sync, arXiv lookups, the demo).

Indexing never fails the work that brought the papers in: a broken or busy index is reported,
and `dailypapers index` brings it up to date later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)


def refresh_search(
    paper_ids: Iterable[int] | None, report: Callable[[str], object], progress: bool = False
) -> bool:
    """Index `paper_ids` (None: whatever is missing or changed); False when that failed."""
    from dailypapers.search.indexing import update_index

    ids = None if paper_ids is None else sorted(set(paper_ids))
    if ids == []:
        return True
    try:
        update_index(ids, progress=progress)
    except Exception as exc:  # the papers are in; only their findability waits
        log.exception("search index update failed")
        report(f"The search index was not updated ({type(exc).__name__}: {exc}); run `dailypapers index`.")
        return False
    return True
