"""{% voted_ids papers as voted_ids %}: which of a page's papers the reader has upvoted, for pages
whose view cannot ask the community app itself (the search page: search stands below community)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from dailypapers.community.models import Upvote

register = template.Library()


@register.simple_tag(takes_context=True)
def voted_ids(context: template.Context, items: Iterable) -> set[int]:
    """`items` are papers, or search hits holding one as `.paper`."""
    request = context.get("request")
    papers = [getattr(item, "paper", item) for item in items or []]
    return Upvote.voted_ids(getattr(request, "user", None), papers)
