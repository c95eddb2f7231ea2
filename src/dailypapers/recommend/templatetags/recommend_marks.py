"""{% saved_ids papers as saved_ids %} and {% dismissed_ids as dismissed_ids %}: the reader's saves
and "Not interested" papers, for pages whose view cannot ask the recommend app itself (the search
page: search stands below recommend)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from dailypapers.recommend.models import Dismissal, Save

register = template.Library()


@register.simple_tag(takes_context=True)
def saved_ids(context: template.Context, items: Iterable) -> set[int]:
    """`items` are papers, or search hits holding one as `.paper`."""
    request = context.get("request")
    papers = [getattr(item, "paper", item) for item in items or []]
    return Save.saved_ids(getattr(request, "user", None), papers)


@register.simple_tag(takes_context=True)
def dismissed_ids(context: template.Context) -> set[int]:
    request = context.get("request")
    return Dismissal.hidden_ids(getattr(request, "user", None))
