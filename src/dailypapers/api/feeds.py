"""RSS 2.0 and Atom feeds (django.contrib.syndication) for the daily papers, trending, a category,
a search query, a member's submissions and a public collection. Each feed exists in both formats:
`.rss` and `.atom`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.http import urlencode

from dailypapers.collections.models import Collection
from dailypapers.core import pagecache
from dailypapers.core.pagecache import cached_page
from dailypapers.core.timestamps import day_start
from dailypapers.papers import stamps
from dailypapers.papers.models import Category, Listing, Paper, one_line, prefetch_cards
from dailypapers.papers.periods import Period, feed_day
from dailypapers.papers.submitters import ImportedSubmitter, imported_submitter, member_named


@dataclass
class Entry:
    paper: Paper
    listing: Listing | None = None
    note: str = ""  # a collection's note on the paper
    added: dt.datetime | None = None  # when it joined the collection


class _Rss(Rss201rev2Feed):
    content_type = "application/rss+xml; charset=utf-8"


class PaperFeed(Feed):
    """Common parts: one item per paper, linking to its page here."""

    feed_type = _Rss
    kind = ""  # names the feed in URLs: "daily", "trending", ...

    # One instance serves every request (and the server runs threads): no per-request state on self.

    def __call__(self, request: HttpRequest, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    def get_object(self, request: HttpRequest, **kwargs):
        return self.lookup(request, **kwargs)

    def lookup(self, request: HttpRequest, **kwargs):
        return None

    def limit(self) -> int:
        return settings.FEED_ITEMS

    def entries(self, listings) -> list[Entry]:
        rows = list(listings.select_related("paper", "submitted_by")[: self.limit()])
        prefetch_cards(listing.paper for listing in rows)
        return [Entry(listing.paper, listing) for listing in rows]

    def feed_copyright(self) -> str:
        return "Paper metadata from arXiv (CC0)."

    def item_title(self, item: Entry) -> str:
        return item.paper.title_line

    def item_link(self, item: Entry) -> str:
        return item.paper.get_absolute_url()

    # The guid is the paper page's full address (Django's default), so a paper is one item however
    # many feeds or days it appears on.

    def item_description(self, item: Entry) -> str:
        paper = item.paper
        authors = ", ".join(a.name for a in paper.authorships.all())
        parts = [f"Authors: {authors}"] if authors else []
        if item.listing is not None and item.listing.note:
            parts.append(f"Submitter's note: {item.listing.note}")
        if item.note:
            parts.append(f"Note: {item.note}")
        parts.append(f"{paper.total_votes} upvotes · arXiv {paper.arxiv_id}")
        parts.append(one_line(paper.ai_summary) if paper.ai_summary else paper.abstract_line)
        # Plain text: the syndication writer escapes it, so no markup from metadata reaches a reader.
        return "\n\n".join(p for p in parts if p)

    def item_author_name(self, item: Entry) -> str:
        names = [a.name for a in item.paper.authorships.all()]
        if len(names) > 3:
            return ", ".join(names[:3]) + " et al."
        return ", ".join(names)

    def item_categories(self, item: Entry) -> list[str]:
        return [c.code for c in item.paper.categories.all()]

    def item_pubdate(self, item: Entry) -> dt.datetime | None:
        if item.added is not None:
            return item.added
        if item.listing is not None:
            if item.listing.submitted_at:
                return item.listing.submitted_at
            return day_start(item.listing.day)  # a date, written as 00:00 UTC wherever it shows
        return item.paper.published_at

    def item_updateddate(self, item: Entry) -> dt.datetime | None:
        return item.paper.updated_at

    def item_enclosures(self, item: Entry) -> list:
        return []


class DailyFeed(PaperFeed):
    kind = "daily"

    def lookup(self, request: HttpRequest, date: str | None = None, **kwargs) -> Period:
        if date is None:
            from dailypapers.api.views import latest_day

            period = Period.day(latest_day() or feed_day())
        else:
            period = Period.parse("day", date)
            if period is None:
                raise Http404(f"There is no day {date}.")
        pagecache.depends_on(request, stamps.period(period))
        return period

    def title(self, period: Period) -> str:
        return f"{settings.SITE_NAME}: {period.title}"

    def link(self, period: Period) -> str:
        return period.url()

    def description(self, period: Period) -> str:
        return f"The papers on the daily feed of {period.title}, most upvoted first."

    def items(self, period: Period) -> list[Entry]:
        listings = (
            Listing.objects.visible().between(period.start, period.end).latest_per_paper().ranked("votes")
        )
        return self.entries(listings)


class TrendingFeed(PaperFeed):
    kind = "trending"

    def title(self) -> str:
        return f"{settings.SITE_NAME}: trending"

    def link(self) -> str:
        try:
            return reverse("front:trending")
        except NoReverseMatch:
            return reverse("front:home")

    def description(self) -> str:
        return (
            f"The papers trending on the feed of the {settings.TRENDING_DAYS} days up to its latest day, "
            "as ranked now."
        )

    def items(self) -> list[Entry]:
        listings = Listing.objects.visible().trending_window().latest_per_paper().ranked("trending")
        return self.entries(listings)


class CategoryFeed(PaperFeed):
    kind = "category"

    def lookup(self, request: HttpRequest, code: str = "", **kwargs) -> Category:
        category = Category.objects.filter(code__iexact=code).first()
        if category is None:
            raise Http404(f"There is no category {code[:40]}.")
        return category

    def title(self, category: Category) -> str:
        label = f"{category.code} ({category.name})" if category.name else category.code
        return f"{settings.SITE_NAME}: {label}"

    def link(self, category: Category) -> str:
        return reverse("front:home")

    def description(self, category: Category) -> str:
        return f"Papers in {category.code} as they reach the daily feed, newest first."

    def items(self, category: Category) -> list[Entry]:
        in_category = Paper.objects.filter(categories=category).values("id")
        listings = Listing.objects.visible().filter(paper__in=in_category).latest_per_paper()
        return self.entries(listings.order_by("-day", "-id"))


class UserFeed(PaperFeed):
    """A member's submissions; with no member of that name, what the imported site's submitter of that
    name (a Hugging Face handle, no account here) put on its feed, as imported."""

    kind = "user"

    def lookup(self, request: HttpRequest, username: str = "", **kwargs):
        user = member_named(username)
        if user is not None:
            return user
        submitter = imported_submitter(username)
        if submitter is None:
            raise Http404(f"There is no member or imported submitter {username[:40]}.")
        return submitter

    def title(self, who) -> str:
        if isinstance(who, ImportedSubmitter):
            return f"{settings.SITE_NAME}: papers submitted on {who.site_name} by {who.name} (imported)"
        return f"{settings.SITE_NAME}: papers submitted by {who.get_username()}"

    def link(self, who) -> str:
        name = who.name if isinstance(who, ImportedSubmitter) else who.get_username()
        try:
            return reverse("front:profile", kwargs={"username": name})
        except NoReverseMatch:
            return reverse("api:feed-user", kwargs={"username": name, "fmt": "rss"})

    def description(self, who) -> str:
        if isinstance(who, ImportedSubmitter):
            return (
                f"Papers {who.name} submitted to {who.site_name}'s Daily Papers, imported from that feed, "
                f"newest first. {who.name} is a {who.site_name} user, not a member here; upvote and comment "
                f"counts include {who.site_name}'s, as of the import."
            )
        return f"Papers {who.get_username()} put on the daily feed, newest first."

    def items(self, who) -> list[Entry]:
        if isinstance(who, ImportedSubmitter):
            return self.entries(who.listings())
        listings = Listing.objects.visible().filter(submitted_by=who).order_by("-day", "-id")
        return self.entries(listings)


class CollectionFeed(PaperFeed):
    """A public collection's papers in its owner's order, each with its note. Private and hidden
    collections have no feed (a 404, as their page is to everyone but the owner)."""

    kind = "collection"

    def lookup(self, request: HttpRequest, username: str = "", tail: str = "", **kwargs):
        number = tail.rsplit("-", 1)[-1]
        if number.isascii() and number.isdigit() and len(number) <= 18:
            # Named before anything is read: an item added, a rename, made private, renew the copy.
            pagecache.depends_on(request, f"collection:{int(number)}")
        collection = Collection.objects.by_slug(f"{username}/{tail}", None)
        if collection is None:
            raise Http404("There is no such public collection.")
        # Each item says the paper's votes: a vote renews the copy too (named before the papers are read).
        arxiv_ids = collection.shown_items().values_list("paper__arxiv_id", flat=True)
        pagecache.depends_on(request, *(stamps.paper(arxiv_id) for arxiv_id in arxiv_ids))
        items = list(collection.shown_items())
        prefetch_cards(item.paper for item in items)
        collection.feed_entries = [Entry(i.paper, note=i.note, added=i.added_at) for i in items]
        return collection

    def title(self, collection) -> str:
        return f"{settings.SITE_NAME}: {collection.title} (a collection by {collection.owner.get_username()})"

    def link(self, collection) -> str:
        return collection.get_absolute_url()

    def description(self, collection) -> str:
        return collection.description or f"Papers {collection.owner.get_username()} collected."

    def items(self, collection) -> list[Entry]:
        return collection.feed_entries[: self.limit()]


class SearchFeed(PaperFeed):
    """`/feeds/search.rss?q=...`: the best matches for a query, for following a topic."""

    kind = "search"

    def lookup(self, request: HttpRequest, **kwargs) -> str:
        q = " ".join((request.GET.get("q") or "").split())[:500]
        if not q or "\x00" in q:
            raise Http404("Give a search query as q, e.g. /feeds/search.rss?q=diffusion")
        return q

    def title(self, q: str) -> str:
        return f"{settings.SITE_NAME}: search “{q}”"

    def link(self, q: str) -> str:
        try:
            return reverse("search:search") + "?" + urlencode({"q": q})
        except NoReverseMatch:
            return reverse("api:docs")

    def description(self, q: str) -> str:
        return f"Papers matching “{q}”."

    def items(self, q: str) -> list[Entry]:
        from dailypapers.search.query import search_papers

        papers = [hit.paper for hit in search_papers(q, limit=self.limit()).hits if not hit.paper.hidden]
        prefetch_cards(papers, listings=True)
        return [Entry(paper) for paper in papers]


class ForYouFeed(PaperFeed):
    """`/feeds/for-you/<key>.rss`: a member's private feed, their "For you" ranking of the papers
    listed in the FOR_YOU_DAYS feed days up to the latest one. The key (Taste.feed_key) is the only
    credential: the member regenerates it on their settings page, and the old address answers 404
    at once (these answers are never cached)."""

    kind = "for_you"

    def __call__(self, request: HttpRequest, *args, **kwargs):
        response = Feed.__call__(self, request, *args, **kwargs)  # no CORS: one reader's own
        response["Cache-Control"] = "private, no-cache"
        response["X-Robots-Tag"] = "noindex"
        return response

    def lookup(self, request: HttpRequest, key: str = "", **kwargs):
        from dailypapers.recommend.models import Taste

        taste = Taste.by_feed_key(key)
        if taste is None:
            raise Http404("No feed at this address (a new address may have replaced it).")
        return taste

    def title(self, taste) -> str:
        return f"{settings.SITE_NAME}: for {taste.user.get_username()}"

    def link(self, taste) -> str:
        return reverse("front:for_you")

    def description(self, taste) -> str:
        return (
            f"The papers of the last {FOR_YOU_DAYS} feed days, ranked for {taste.user.get_username()} "
            "by their saves, votes and follows mixed with the community's votes. Private: anyone with "
            "this address can read it; make a new address on your For you settings page to retire it."
        )

    def items(self, taste) -> list[Entry]:
        from dailypapers.api.views import latest_day
        from dailypapers.recommend.ranking import rank

        latest = latest_day()
        if latest is None:
            return []
        listings = (
            Listing.objects.visible()
            .between(latest - dt.timedelta(days=FOR_YOU_DAYS - 1), latest)
            .latest_per_paper()
        )
        ranking = rank(taste.user, listings)
        picks = ranking.load(ranking.picks[: self.limit()])
        return [Entry(pick.listing.paper, pick.listing) for pick in picks]


FOR_YOU_DAYS = 7


def formats(feed_class: type[PaperFeed]):
    """The feed's RSS 2.0 and Atom views, for the URLs `<...>.rss` and `<...>.atom`."""
    atom = type(
        f"{feed_class.__name__}Atom",
        (feed_class,),
        {"feed_type": Atom1Feed, "subtitle": feed_class.description},  # Atom's name for it
    )
    instances = {"rss": feed_class(), "atom": atom()}

    def view(request: HttpRequest, fmt: str, **kwargs):
        return instances[fmt](request, **kwargs)

    view.feed_kind = feed_class.kind
    # A search feed follows the search index, which moves apart from the content stamp; a private
    # feed must stop answering the moment its key is replaced.
    return view if feed_class.kind in ("search", "for_you") else cached_page(view, per_member=False)
