"""{% similar_papers_section paper %}: the paper page's "Similar papers" box."""

from __future__ import annotations

import logging

from django import template

log = logging.getLogger(__name__)
register = template.Library()


@register.inclusion_tag("search/_similar_section.html")
def similar_papers_section(paper, limit: int = 6) -> dict:
    from dailypapers.search.query import similar_papers

    try:
        similar = (
            similar_papers(paper, limit=limit) if paper is not None and getattr(paper, "pk", None) else []
        )
    except Exception:  # the paper page must render even if the index files are broken
        log.exception("similar papers for %s failed", getattr(paper, "arxiv_id", paper))
        similar = []
    return {"paper": paper, "similar": similar}
