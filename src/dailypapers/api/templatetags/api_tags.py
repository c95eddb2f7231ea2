"""Feed links for a page's <head>, and a member's API tokens for the account page."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

register = template.Library()


def _feed(kind: str, title: str, **kwargs) -> list[dict[str, str]]:
    name = {
        "daily": "feed-daily",
        "day": "feed-day",
        "trending": "feed-trending",
        "category": "feed-category",
        "search": "feed-search",
        "user": "feed-user",
        "collection": "feed-collection",
    }[kind]
    query = kwargs.pop("query", None)
    links = []
    for fmt, mime in (("rss", "application/rss+xml"), ("atom", "application/atom+xml")):
        try:
            url = reverse(f"api:{name}", kwargs={**kwargs, "fmt": fmt})
        except NoReverseMatch:
            return []  # a name no feed address can hold (the 404 page of /u/<anything>): no such feed
        if query:
            url += "?" + urlencode(query)
        links.append({"url": url, "type": mime, "title": f"{title} ({'RSS' if fmt == 'rss' else 'Atom'})"})
    return links


@register.simple_tag(takes_context=True)
def feed_links(context) -> list[dict[str, str]]:
    """The feeds that match the page being shown, most specific first, then the site's daily feed."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    links: list[dict[str, str]] = []
    if match is not None:
        name, kwargs = match.url_name or "", match.kwargs
        collection = context.get("collection")
        if match.view_name == "collections:detail" and collection is not None:
            # Its own feed, first; a private or hidden one has none. The owner's submissions: not here.
            if not (collection.private or collection.hidden):
                links += _feed(
                    "collection",
                    f"Collection: {collection.title[:80]}",
                    username=collection.owner.get_username(),
                    tail=collection.slug_tail,
                )
            kwargs = {}
        if match.view_name == "front:day" and kwargs.get("slug"):
            links += _feed("day", f"Papers of {kwargs['slug']}", date=kwargs["slug"])
        if "trending" in name:
            links += _feed("trending", "Trending papers")
        # /u/<name>/huggingface where a member holds <name>: the feed at that name is the member's.
        namesake_page = match.view_name == "front:imported_submitter" and context.get("member_of_that_name")
        if kwargs.get("username") and not namesake_page:
            username = kwargs["username"]
            links += _feed("user", f"Papers submitted by {username}", username=username)
        code = kwargs.get("category") or kwargs.get("code")
        if code:
            links += _feed("category", f"Papers in {code}", code=code)
        q = request.GET.get("q", "").strip()
        if "search" in (match.namespace or "") + name and q:
            links += _feed("search", f"Search: {q[:80]}", query={"q": q[:500]})
        paper = context.get("paper")
        if match.view_name == "front:paper" and getattr(paper, "primary_category_id", None):
            code = paper.primary_category_id
            links += _feed("category", f"Papers in {code}", code=code)
    links += _feed("daily", "Daily papers")
    return links


@register.simple_tag
def api_tokens(user) -> list:
    from dailypapers.api.models import ApiToken

    if not getattr(user, "is_authenticated", False):
        return []
    return list(ApiToken.objects.filter(user=user))
