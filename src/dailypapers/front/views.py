"""The site's pages: feeds (day, week, month), trending, paper pages, the ranking page, members'
public profiles, errors."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Count, F, Max, Min, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from dailypapers.accounts.models import display_name
from dailypapers.collections.models import Collection, collections_holding
from dailypapers.community.models import AuthorClaim, Comment, Upvote, Watch, claim_at
from dailypapers.core import pagecache
from dailypapers.core.pagecache import cached_page
from dailypapers.core.user_text import BadInput
from dailypapers.front.visits import remembering_visits
from dailypapers.papers import ranking, stamps
from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.papers.authors import author_key
from dailypapers.papers.citing import bibtex
from dailypapers.papers.models import (
    Author,
    Authorship,
    Listing,
    Membership,
    Organization,
    Paper,
    listed_day_near,
    prefetch_card_faces,
)
from dailypapers.papers.periods import Period
from dailypapers.papers.submitters import imported_submitter, member_named
from dailypapers.recommend.models import Dismissal, Follow, Save


@remembering_visits
@cached_page
def home(request: HttpRequest) -> HttpResponse:
    latest = Listing.objects.visible().aggregate(day=Max("day"))["day"]
    if latest is None:
        return render(request, "front/empty.html")
    return _feed(request, Period.day(latest), is_home=True)


def latest(request: HttpRequest, kind: str) -> HttpResponse:
    """The week or month holding the newest papers."""
    latest_day = Listing.objects.visible().aggregate(day=Max("day"))["day"]
    period = Period.containing(kind, latest_day) if latest_day else None
    if period is None:
        return redirect("front:home")
    return redirect(period.url())


@remembering_visits
@cached_page
def day_feed(request: HttpRequest, slug: str) -> HttpResponse:
    return _feed(request, _period("day", slug))


@remembering_visits
@cached_page
def week_feed(request: HttpRequest, slug: str) -> HttpResponse:
    return _feed(request, _period("week", slug))


@remembering_visits
@cached_page
def month_feed(request: HttpRequest, slug: str) -> HttpResponse:
    return _feed(request, _period("month", slug))


def _period(kind: str, slug: str) -> Period:
    period = Period.parse(kind, slug)
    if period is None:
        raise Http404(f"There is no {kind} {slug}.")
    return period


def _feed(request: HttpRequest, period: Period, is_home: bool = False) -> HttpResponse:
    pagecache.depends_on(request, stamps.period(period))  # the cards' counts; links and days: `site`
    sort = request.GET.get("sort", "votes")
    if sort not in ranking.SORTS:
        sort = "votes"
    listings = Listing.objects.visible().between(period.start, period.end).latest_per_paper().ranked(sort)
    before = listed_day_near(period.start, before=True)
    listed = Listing.objects.visible().aggregate(first=Min("day"), last=Max("day"))  # the date picker's range
    after = listed_day_near(period.end, before=False)
    # The day/week/month switcher keeps the reader near the same date.
    anchor = period.start
    if period.kind != "day":
        anchor = (
            Listing.objects.visible().between(period.start, period.end).aggregate(d=Max("day"))["d"] or anchor
        )
    return render_listings(
        request,
        listings,
        "front/feed.html",
        {
            "period": period,
            "is_home": is_home,
            "previous": Period.containing(period.kind, before) if before else None,
            "next": Period.containing(period.kind, after) if after else None,
            "spans": [span for kind in ("day", "week", "month") if (span := Period.containing(kind, anchor))],
            "first_day": listed["first"],
            "last_day": listed["last"],
            # The cards mark what reached the feed since the member's last visit (front.visits).
            "new_since": getattr(request, "feed_since", None),
        },
        sort=sort,
    )


def go_to_date(request: HttpRequest) -> HttpResponse:
    """The feed's date picker (a GET form): to the day, week or month holding the date picked. What is
    not a date goes back to the feed with a message saying so."""
    kind = request.GET.get("kind", "day")
    if kind not in ("day", "week", "month"):
        kind = "day"
    text = request.GET.get("date", "").strip()
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    period = Period.containing(kind, day) if day else None
    if period is None:
        messages.error(
            request,
            "Pick a date to go to (year-month-day, e.g. 2026-06-19)."
            if not text
            else f"“{text[:40]}” is not a date we can show: pick one from the calendar (year-month-day).",
        )
        return redirect("front:home")
    return redirect(period.url())


def render_listings(request: HttpRequest, listings, template: str, context: dict, sort: str) -> HttpResponse:
    """One page of ranked listings as cards: votes and saves of the reader, and why each card is where
    it is. Papers the reader marked "Not interested" are left out."""
    listings = Dismissal.exclude_from(listings, request.user)
    listings = listings.select_related("paper", "submitted_by")  # what the cards show, no more
    page = Paginator(listings, settings.PAPERS_PER_PAGE).get_page(request.GET.get("page"))
    papers = prefetch_card_faces(listing.paper for listing in page)
    rank_offset = page.start_index() - 1 if page.paginator.count else 0
    for position, listing in enumerate(page, start=rank_offset + 1):
        listing.placement = ranking.explain(listing, sort, rank=position)
    return render(
        request,
        template,
        {
            **context,
            "page": page,
            "sort": sort,
            "sorts": ranking.SORTS,
            "rank_offset": rank_offset,
            "voted_ids": Upvote.voted_ids(request.user, papers),
            "saved_ids": Save.saved_ids(request.user, papers),
        },
    )


@cached_page
def paper_detail(request: HttpRequest, ref: str) -> HttpResponse:
    parsed = parse_arxiv_id(ref)
    if parsed is None:
        raise Http404(f"“{ref[:100]}” is not an arXiv id.")
    if parsed.id != ref or request.path.startswith(("/abs/", "/pdf/", "/html/")):
        return redirect("front:paper", ref=parsed.id, permanent=True)
    pagecache.depends_on(request, stamps.paper(parsed.id))
    paper = Paper.objects.visible().select_related("primary_category").for_cards().by_ref(parsed)
    if paper is None:
        return render(request, "front/not_in_catalogue.html", {"arxiv_id": parsed.id}, status=404)
    listings = (
        paper.listings.visible().select_related("submitted_by__profile", "organization").order_by("day")
    )
    for authorship in paper.authorships.all():  # prefetched: these are the objects the page shows
        authorship.claim = claim_at(paper, authorship.position, authorship.author.key)
    my_claim = None
    if request.user.is_authenticated:
        my_claim = AuthorClaim.objects.filter(user=request.user, paper=paper).first()
    return render(
        request,
        "front/detail.html",
        {
            "paper": paper,
            "listings": listings,
            "bibtex": bibtex([paper]),
            "my_claim": my_claim,
            # The places still open to a claim: with none, the page says so instead of an empty form.
            "claimable": [a for a in paper.authorships.all() if not a.claim],
            **discussion_context(request, paper),
        },
    )


def discussion_context(request: HttpRequest, paper: Paper) -> dict:
    """What the paper page's discussion, vote, save and follow buttons need."""
    moderator = request.user.is_authenticated and request.user.is_staff
    member = request.user.is_authenticated
    return {
        "saved": member and Save.objects.filter(user=request.user, paper=paper).exists(),
        "dismissed": member and Dismissal.objects.filter(user=request.user, paper=paper).exists(),
        "watching": member and Watch.watches(request.user, paper),
        "followed_categories": Follow.targets(request.user, Follow.Kind.CATEGORY),
        "threads": Comment.objects.threads(paper, include_hidden=moderator),
        # Moderators also see what they hid; the heading counts it apart from what readers see.
        "held_back": Comment.objects.filter(paper=paper).held_back().count() if moderator else 0,
        "voted": bool(Upvote.voted_ids(request.user, [paper])),
        # The public collections holding it, and the reader's own (private ones too).
        "in_collections": collections_holding(paper, request.user),
        "comment_draft": request.session.pop("comment_draft", "") if hasattr(request, "session") else "",
    }


@cached_page
def trending_page(request: HttpRequest) -> HttpResponse:
    """Papers of the trending window by trending score, or (?sort=stars) by GitHub stars gained."""
    sort = request.GET.get("sort", "trending")
    if sort not in ranking.TRENDING_SORTS:
        sort = "trending"
    listings = Listing.objects.visible().trending_window().latest_per_paper().ranked(sort)
    return render_listings(
        request,
        listings,
        "front/trending.html",
        {
            "days": settings.TRENDING_DAYS,
            "star_days": settings.TRENDING_STAR_DAYS,
            "trending_sorts": ranking.TRENDING_SORTS,
        },
        sort=sort,
    )


@cached_page
def author_page(request: HttpRequest, key: str) -> HttpResponse:
    """An author's papers here, newest first, with their votes; a Follow button."""
    author = Author.objects.filter(key=key).first()
    if author is None:
        # A name typed or linked in another spelling: to the page under its matching key.
        normal = author_key(key)
        if normal != key and Author.objects.filter(key=normal).exists():
            return redirect("front:author", key=normal)
        raise Http404(f"No papers here are by “{key[:150]}”.")
    papers = Paper.objects.visible().filter(
        pk__in=Authorship.objects.filter(author=author).values("paper_id")
    )  # a subquery: two co-authors of one name are one paper
    papers = Dismissal.exclude_from(papers, request.user, paper_field="pk")
    newest_first = F("published_at").desc(nulls_last=True)
    papers = papers.select_related("primary_category").order_by(newest_first, "-id")
    page = Paginator(papers, settings.PAPERS_PER_PAGE).get_page(request.GET.get("page"))
    cards = prefetch_card_faces(page)
    return render(
        request,
        "front/author.html",
        {
            "author": author,
            "page": page,
            "rank_offset": page.start_index() - 1 if page.paginator.count else 0,
            "following": Follow.follows(request.user, Follow.Kind.AUTHOR, author.key),
            "voted_ids": Upvote.voted_ids(request.user, cards),
            "saved_ids": Save.saved_ids(request.user, cards),
        },
    )


@cached_page
def organization_page(request: HttpRequest, name: str) -> HttpResponse:
    """An organisation: the papers submitted for it, newest first, with their votes; its members."""
    org = Organization.objects.filter(name=name).first()
    if org is None:
        org = Organization.objects.filter(name__iexact=name).first()
        if org is None:
            raise Http404(f"There is no organisation called “{name[:150]}”.")
        return redirect(org.get_absolute_url())
    listings = Listing.objects.visible().filter(organization=org).latest_per_paper()
    listings = Dismissal.exclude_from(listings, request.user)
    listings = listings.select_related("paper", "submitted_by").order_by("-day", "-id")
    page = Paginator(listings, settings.PAPERS_PER_PAGE).get_page(request.GET.get("page"))
    cards = prefetch_card_faces(listing.paper for listing in page)
    members = (
        Membership.objects.filter(organization=org, user__is_active=True)
        .select_related("user__profile")
        .order_by("role", "user__username")  # its admins first ("admin" < "member")
    )
    return render(
        request,
        "front/organization.html",
        {
            "org": org,
            "page": page,
            "members": [(m, display_name(m.user)) for m in members],
            "rank_offset": page.start_index() - 1 if page.paginator.count else 0,
            "voted_ids": Upvote.voted_ids(request.user, cards),
            "saved_ids": Save.saved_ids(request.user, cards),
        },
    )


def about_ranking(request: HttpRequest) -> HttpResponse:
    c = ranking.Constants.current()
    examples = [
        (votes, comments, hours, ranking.score(votes, comments, hours, c))
        for votes, comments, hours in [
            (1, 0, 0),
            (10, 2, 1),
            (10, 2, 6),
            (30, 4, 12),
            (30, 4, 24),
            (100, 10, 48),
        ]
    ]
    return render(
        request,
        "front/about_ranking.html",
        {
            "c": c,
            "examples": examples,
            "days": settings.TRENDING_DAYS,
            "star_days": settings.TRENDING_STAR_DAYS,
            "recheck_hours": settings.STARS_RECHECK_HOURS,
        },
    )


def profile(request: HttpRequest, username: str) -> HttpResponse:
    """A member's public page: what they submitted and said. With no member of that name, the page of
    the imported site's submitter of that name (see imported_submitter_page)."""
    user = member_named(username)
    if user is None:
        return imported_submitter_page(request, username)
    if user.get_username() != username:
        return _respelled(request, "front:profile", user.get_username())
    user = get_user_model().objects.select_related("profile").get(pk=user.pk)
    submissions = (
        Listing.objects.visible()
        .filter(submitted_by=user, source=Listing.Source.SUBMISSION)
        .select_related("paper")
        .order_by("-day", "-id")
    )
    comments = (
        Comment.objects.shown()
        .filter(author=user, paper__hidden=False)
        .select_related("paper")
        .order_by("-created_at", "-id")
    )
    return render(
        request,
        "front/profile.html",
        {
            "member": user,
            "member_name": display_name(user),
            "submissions": Paginator(submissions, 50).get_page(request.GET.get("s")),
            # The papers a moderator approved them as an author of, newest first.
            "authored": AuthorClaim.objects.approved()
            .filter(user=user, paper__hidden=False)
            .select_related("paper")
            .order_by(F("paper__published_at").desc(nulls_last=True), "-id")[:100],
            "comments": Paginator(comments, 50).get_page(request.GET.get("c")),
            # Someone else under the same name on the imported site: say so, and where they are.
            "namesake": imported_submitter(user.get_username()),
            "following": Follow.follows(request.user, Follow.Kind.MEMBER, user.get_username()),
            # Theirs that the reader may see (the member sees their private ones too), in their order.
            "collections": Collection.objects.visible_to(request.user)
            .filter(owner=user)
            .annotate(paper_count=Count("items", filter=Q(items__paper__hidden=False)))
            .select_related("owner")
            .order_by("position", "id"),
        },
    )


def imported_submitter_page(request: HttpRequest, username: str) -> HttpResponse:
    """The papers a submitter on the imported site (Hugging Face) put on its feed, as imported here.
    They are no member: the page says whose figures these are and links to their profile there."""
    submitter = imported_submitter(username)
    if submitter is None:
        raise Http404(f"There is no member or imported submitter called “{username[:150]}”.")
    if submitter.name != username:
        return _respelled(request, request.resolver_match.view_name, submitter.name)
    listings = submitter.listings().select_related("paper")
    page = Paginator(listings, settings.PAPERS_PER_PAGE).get_page(request.GET.get("page"))
    member = member_named(submitter.name)
    return render(
        request,
        "front/imported_submitter.html",
        {
            "submitter": submitter,
            "page": page,
            "member_of_that_name": member,
            # The feed at that name is the member's where there is one.
            "feeds": None if member else _user_feeds(submitter.name),
        },
    )


def _user_feeds(username: str) -> dict[str, str] | None:
    try:
        return {
            fmt: reverse("api:feed-user", kwargs={"username": username, "fmt": fmt})
            for fmt in ("rss", "atom")
        }
    except NoReverseMatch:
        return None  # a name the feed addresses cannot hold


def _respelled(request: HttpRequest, view_name: str, username: str) -> HttpResponse:
    """To the page under the name as its owner spells it (names match in any case), query kept."""
    url = reverse(view_name, kwargs={"username": username})
    return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)


def _api_error(request: HttpRequest, status: int, message: str) -> HttpResponse | None:
    """Under /api/ every error is the API's JSON, also those raised before or outside an endpoint."""
    if not request.path_info.startswith("/api/"):
        return None
    from dailypapers.api.plumbing import error_response

    return error_response(status, message)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Our own refusals (core.user_text) say what was wrong; Django's other 400s may carry internals.
    message = str(exception) if isinstance(exception, BadInput) else ""
    api = _api_error(request, 400, message or "The request could not be read.")
    return api or render(request, "400.html", {"message": message}, status=400)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    api = _api_error(request, 403, str(exception or "") or "Not allowed.")
    return api or render(request, "403.html", {"exception": exception}, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # Only a page under /api/ (the docs) can fail Django's CSRF check there: endpoints are exempt.
    from django.views.csrf import csrf_failure as django_csrf_failure

    api = _api_error(request, 403, "This page takes no POST: the API's writes are its endpoints.")
    return api or django_csrf_failure(request, reason)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = ""
    # Our own 404s carry a sentence for the reader; the URL resolver's carry a dict of debug data.
    if isinstance(exception, Http404) and exception.args and isinstance(exception.args[0], str):
        message = exception.args[0]
    api = _api_error(request, 404, message or "Not found.")
    return api or render(request, "404.html", {"message": message}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No database or context processors here: whatever failed may fail again.
    from django.template import loader

    api = _api_error(request, 500, "Something went wrong on our side; it has been logged. Try again later.")
    if api is not None:
        return api
    return HttpResponse(loader.get_template("500.html").render({"site_name": settings.SITE_NAME}), status=500)
