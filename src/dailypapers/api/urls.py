"""The API (/api/...), the paper page as Markdown (/papers/{id}.md), feeds (/feeds/...) and API tokens.

Included before the papers app, whose /papers/<path> would otherwise catch /papers/{id}.md.
"""

from django.urls import path, re_path

from dailypapers.api import collections, docs, feeds, tokens, views

app_name = "api"

FMT = r"(?P<fmt>rss|atom)"
# A collection's slug, "owner/title-<id>", is two parts of the address.
USER = r"(?P<username>[\w.@+-]+)"
TAIL = r"(?P<tail>[\w-]+)"

urlpatterns = [
    path("api/", docs.docs_page, name="docs"),
    path("api/docs", docs.docs_page),
    path("api/openapi.json", docs.openapi_json, name="openapi"),
    path("api/daily_papers", views.daily_papers, name="daily-papers"),
    path("api/papers", views.paper_list, name="papers"),
    path("api/papers/search", views.paper_search, name="search"),
    path("api/papers/submit", views.submit, name="submit"),
    re_path(r"^api/papers/(?P<ref>[^\n]+)/comments$", views.comments, name="comments"),
    re_path(r"^api/papers/(?P<ref>.+)/similar$", views.similar, name="similar"),
    re_path(r"^api/papers/(?P<ref>.+)/upvote$", views.upvote, name="upvote"),
    re_path(r"^api/papers/(?P<ref>.+)$", views.paper_detail, name="paper"),
    path("api/whoami-v2", collections.whoami, name="whoami"),
    path("api/collections", collections.collections, name="collections"),
    re_path(rf"^api/collections/{USER}/{TAIL}$", collections.collection, name="collection"),
    re_path(rf"^api/collections/{USER}/{TAIL}/items$", collections.add_item, name="collection-items"),
    re_path(
        rf"^api/collections/{USER}/{TAIL}/items/(?P<item_id>[\w.-]+)$",
        collections.item,
        name="collection-item",
    ),
    re_path(r"^api/", views.api_not_found),  # anything else under /api/ (newlines too): a JSON 404
    re_path(r"^papers/(?P<ref>.+)\.md$", views.paper_markdown, name="paper-markdown"),
    # Feeds: every one in RSS 2.0 (.rss) and Atom (.atom).
    re_path(rf"^feeds/daily\.{FMT}$", feeds.formats(feeds.DailyFeed), name="feed-daily"),
    re_path(
        rf"^feeds/daily/(?P<date>\d{{4}}-\d{{2}}-\d{{2}})\.{FMT}$",
        feeds.formats(feeds.DailyFeed),
        name="feed-day",
    ),
    re_path(rf"^feeds/trending\.{FMT}$", feeds.formats(feeds.TrendingFeed), name="feed-trending"),
    re_path(
        rf"^feeds/category/(?P<code>[\w.-]+?)\.{FMT}$",
        feeds.formats(feeds.CategoryFeed),
        name="feed-category",
    ),
    re_path(rf"^feeds/search\.{FMT}$", feeds.formats(feeds.SearchFeed), name="feed-search"),
    re_path(
        rf"^feeds/users/(?P<username>[\w.@+-]+)\.{FMT}$", feeds.formats(feeds.UserFeed), name="feed-user"
    ),
    re_path(
        rf"^feeds/collections/{USER}/{TAIL}\.{FMT}$",
        feeds.formats(feeds.CollectionFeed),
        name="feed-collection",
    ),
    # A member's private "For you" feed: the key in the address is its only credential.
    re_path(
        rf"^feeds/for-you/(?P<key>[\w-]{{1,64}})\.{FMT}$",
        feeds.formats(feeds.ForYouFeed),
        name="feed-for-you",
    ),
    # The account page's API tokens (the page itself belongs to accounts).
    path("account/api-tokens/new", tokens.create_token, name="token-create"),
    path("account/api-tokens/<int:token_id>/revoke", tokens.revoke_token, name="token-revoke"),
]
