""" "For you": the feed's day, week or month ranked for the signed-in member (see
dailypapers.recommend.ranking), beside the community's feeds at the same addresses under /for-you."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from dailypapers.community.models import Upvote
from dailypapers.core import pagecache
from dailypapers.core.pagecache import cached_page
from dailypapers.papers.models import Listing, listed_day_near
from dailypapers.papers.periods import Period
from dailypapers.recommend.models import Save, taste_stamp
from dailypapers.recommend.ranking import for_you


def period_url(period: Period) -> str:
    return reverse(f"front:for_you_{period.kind}", args=[period.slug])


def _members_only(view):
    """A page made for one member: anyone else is asked to sign in (a redirect, never stored)."""

    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


# Per member: each signed-in member's copy is keyed by their own stamp, which moves with their
# signals, and by their taste stamp, which moves with their mix and a newly trained model
# (recommend.models); no anonymous copy is ever made.
@_members_only
@cached_page(shortcut=False)
def for_you_home(request: HttpRequest) -> HttpResponse:
    latest = Listing.objects.visible().aggregate(day=Max("day"))["day"]
    if latest is None:
        return render(request, "front/empty.html")
    return _page(request, Period.day(latest), is_home=True)


def _period_view(kind: str):
    @_members_only
    @cached_page(shortcut=False)
    def view(request: HttpRequest, slug: str) -> HttpResponse:
        period = Period.parse(kind, slug)
        if period is None:
            raise Http404(f"There is no {kind} {slug}.")
        return _page(request, period)

    view.__name__ = f"for_you_{kind}"
    return view


for_you_day = _period_view("day")
for_you_week = _period_view("week")
for_you_month = _period_view("month")


def for_you_latest(request: HttpRequest, kind: str) -> HttpResponse:
    latest_day = Listing.objects.visible().aggregate(day=Max("day"))["day"]
    period = Period.containing(kind, latest_day) if latest_day else None
    if period is None:
        return redirect("front:for_you")
    return redirect(period_url(period))


def _page(request: HttpRequest, period: Period, is_home: bool = False) -> HttpResponse:
    pagecache.depends_on(request, taste_stamp(request.user.pk))  # the model and mix, read below
    ranking = for_you(request.user, period)
    page = Paginator(ranking.picks, settings.PAPERS_PER_PAGE).get_page(request.GET.get("page"))
    rank_offset = page.start_index() - 1 if page.paginator.count else 0
    picks = ranking.load(page.object_list, page=True)
    papers = [pick.listing.paper for pick in picks]
    ranking.explain(picks)
    before = listed_day_near(period.start, before=True)
    after = listed_day_near(period.end, before=False)
    anchor = period.start
    if period.kind != "day":
        anchor = (
            Listing.objects.visible().between(period.start, period.end).aggregate(d=Max("day"))["d"] or anchor
        )
    spans = [span for kind in ("day", "week", "month") if (span := Period.containing(kind, anchor))]
    return render(
        request,
        "front/for_you.html",
        {
            "period": period,
            "is_home": is_home,
            "ranking": ranking,
            "page": page,
            "listings": [pick.listing for pick in picks],
            "rank_offset": rank_offset,
            "previous": _linked(Period.containing(period.kind, before) if before else None),
            "next": _linked(Period.containing(period.kind, after) if after else None),
            "spans": [(span, period_url(span)) for span in spans],
            "community_url": period.url(),
            "voted_ids": Upvote.voted_ids(request.user, papers),
            "saved_ids": Save.saved_ids(request.user, papers),
        },
    )


def _linked(period: Period | None) -> dict | None:
    return None if period is None else {"period": period, "url": period_url(period)}
