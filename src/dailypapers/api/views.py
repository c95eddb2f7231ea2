"""JSON endpoints shaped like Hugging Face's `/api/daily_papers` and `/api/papers/...`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Max, Q
from django.http import HttpRequest, HttpResponse
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt

from dailypapers.api.paper_markdown import as_markdown
from dailypapers.api.plumbing import (
    READ_GATE,
    ApiError,
    authenticate,
    bad_request,
    endpoint,
    error_response,
    json_response,
    request_data,
)
from dailypapers.api.serializers import (
    daily_item_json,
    paper_json,
    search_item_json,
    user_json,
)
from dailypapers.core import pagecache
from dailypapers.core.pagecache import cached_page
from dailypapers.core.timestamps import iso
from dailypapers.papers import stamps
from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.papers.models import Listing, Organization, Paper, prefetch_cards
from dailypapers.papers.periods import Period

MAX_PAGE = 100_000  # p beyond this is refused rather than turned into a huge OFFSET
DAILY_SORTS = ("publishedAt", "trending", "for_you")


# --- parameters -------------------------------------------------------------------------------------


def typed_param(request: HttpRequest, name: str) -> str | None:
    """A parameter with a format (number, date, ...): None when absent; present but empty is an error."""
    raw = request.GET.get(name)
    if raw is not None and not raw.strip():
        raise bad_request(f"{name} is empty; leave it out or give a value.")
    return raw


def int_param(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = typed_param(request, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be a whole number, not {raw[:40]!r}.") from None
    if not low <= value <= high:
        raise bad_request(f"{name} must be between {low} and {high}.")
    return value


def date_param(request: HttpRequest, name: str) -> dt.date | None:
    raw = typed_param(request, name)
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"{name} must be a date as YYYY-MM-DD, not {raw[:40]!r}.") from None


def limit_param(request: HttpRequest, high: int | None = None) -> int:
    """`limit`: 1 to `high` (Hugging Face's bound for the endpoint; see settings.API_MAX_LIMIT)."""
    high = high or settings.API_MAX_LIMIT
    return int_param(request, "limit", min(max(settings.API_DEFAULT_LIMIT, 1), high), 1, high)


def period_param(request: HttpRequest) -> Period | None:
    given = [kind for kind in ("date", "week", "month") if typed_param(request, kind) is not None]
    if len(given) > 1:
        raise bad_request("Give at most one of date, week and month.")
    if not given:
        return None
    kind = given[0]
    slug = request.GET[kind]
    period = Period.parse("day" if kind == "date" else kind, slug)
    if period is None:
        form = {"date": "YYYY-MM-DD", "week": "YYYY-Www (ISO week, e.g. 2025-W09)", "month": "YYYY-MM"}[kind]
        raise bad_request(f"{kind} must be {form}, a real one up to 9999-12-31, not {slug[:40]!r}.")
    return period


def category_filter(request: HttpRequest) -> Q:
    """`category=cs.CL` (repeatable or comma-separated): papers in any of them."""
    codes = [c.strip() for value in request.GET.getlist("category") for c in value.split(",") if c.strip()]
    if not codes:
        return Q()
    return Q(categories__code__in=codes)


def next_link(request: HttpRequest, **changes: Any) -> str:
    params = request.GET.copy()
    for name, value in changes.items():
        params[name] = str(value)
    return f'<{request.build_absolute_uri(request.path)}?{urlencode(params, doseq=True)}>; rel="next"'


# --- the daily feed ---------------------------------------------------------------------------------


def trending_listings(listings):
    """The community's trending order (votes and comments over age; see papers.ranking)."""
    return listings.ranked("trending")


def daily_listings(request: HttpRequest):
    """The listings `/api/daily_papers` (and the daily feeds) answer with, filtered and sorted."""
    period = period_param(request)
    if period is not None:  # the rest only narrows it (or moves with `site`: names, categories)
        pagecache.depends_on(request, stamps.period(period))
    since, until = date_param(request, "since"), date_param(request, "until")
    sort = typed_param(request, "sort") or "publishedAt"
    if sort not in DAILY_SORTS:
        raise bad_request(f"sort must be one of {', '.join(DAILY_SORTS)}, not {sort[:40]!r}.")
    listings = Listing.objects.visible()
    if period is not None:
        listings = listings.between(period.start, period.end)
    if since:
        listings = listings.filter(day__gte=since)
    if until:
        listings = listings.filter(day__lte=until)
    if submitter := request.GET.get("submitter"):
        listings = listings.filter(
            Q(submitted_by__username__iexact=submitter)
            | Q(submitted_by=None, submitter_name__iexact=submitter)
        )
    if (categories := category_filter(request)) != Q():
        listings = listings.filter(paper__in=Paper.objects.filter(categories).values("id"))
    listings = listings.latest_per_paper()
    if sort == "for_you":
        return listings  # ranked per member (_daily_for_you)
    listings = trending_listings(listings) if sort == "trending" else listings.by_day_as_listed()
    return listings.select_related("paper__primary_category", "submitted_by", "organization")


@endpoint("GET")
def daily_papers(request: HttpRequest) -> HttpResponse:
    if request.GET.get("sort") == "for_you":
        return _daily_for_you(request)
    return _daily_shared(request)


@cached_page(per_member=False, gate=READ_GATE)  # the rate limit counts every read
def _daily_shared(request: HttpRequest) -> HttpResponse:
    limit = limit_param(request)
    page = int_param(request, "p", 0, 0, MAX_PAGE)
    rows = list(daily_listings(request)[page * limit : page * limit + limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    prefetch_cards(listing.paper for listing in rows)  # each item has its listing
    headers = {"Link": next_link(request, p=page + 1)} if more else {}
    return json_response([daily_item_json(listing, request) for listing in rows], headers=headers)


def _daily_for_you(request: HttpRequest) -> HttpResponse:
    """`sort=for_you`: the token's member's ranking ("For you", see recommend.ranking) of the span
    asked for (with no date, week, month, since or until: the latest feed day), each item with its
    combined score and reasons. Per member, so never a shared copy."""
    from dailypapers.recommend.ranking import rank

    authenticate(request)  # 401 without a valid token: the ranking is the token member's own
    limit = limit_param(request)
    page = int_param(request, "p", 0, 0, MAX_PAGE)
    listings = daily_listings(request)
    if not any(typed_param(request, name) for name in ("date", "week", "month", "since", "until")):
        listings = listings.filter(day=latest_day() or dt.date.min)
    ranking = rank(request.api_user, listings)
    picks = ranking.load(ranking.picks[page * limit : page * limit + limit])
    ranking.explain(picks)
    items = []
    for pick in picks:
        item = daily_item_json(pick.listing, request)
        item["forYou"] = {
            "score": round(pick.combined, 4),
            "personalRank": pick.personal_rank,
            "communityRank": pick.community_rank,
            "reasons": pick.listing.placement.sentences(),
        }
        items.append(item)
    more = len(ranking.picks) > page * limit + limit
    headers = {"Link": next_link(request, p=page + 1)} if more else {}
    headers.update({"Cache-Control": "private, no-cache", "Vary": "Authorization"})
    return json_response(items, headers=headers)


# --- papers -----------------------------------------------------------------------------------------


def get_paper(ref: str, request: HttpRequest | None = None) -> Paper:
    """The visible paper `ref` names, or the API's 404. With `request`, a shared answer (core.pagecache)
    being rendered names the paper's stamp."""
    parsed = parse_arxiv_id(ref)
    if parsed is None:
        raise ApiError(404, f"{ref[:100]!r} is not an arXiv id.")
    if request is not None:
        pagecache.depends_on(request, stamps.paper(parsed.id))
    paper = Paper.objects.visible().select_related("primary_category").by_ref(parsed)
    if paper is None:
        raise ApiError(404, f"Paper {parsed.id} is not in this catalogue.")
    return paper


@endpoint("GET")
@cached_page(per_member=False, gate=READ_GATE)  # the rate limit counts every read
def paper_detail(request: HttpRequest, ref: str) -> HttpResponse:
    paper = get_paper(ref, request)
    prefetch_cards([paper], listings=True)
    return json_response(paper_json(paper, request))


@endpoint("GET")
@cached_page(per_member=False, gate=READ_GATE)  # the rate limit counts every read
def paper_list(request: HttpRequest) -> HttpResponse:
    """Every paper in the catalogue, newest arrival first, paged by an opaque cursor."""
    limit = limit_param(request)
    papers = Paper.objects.visible().select_related("primary_category").order_by("-id")
    if cursor := typed_param(request, "cursor"):
        try:
            before = int(cursor, 36)
        except ValueError:
            raise bad_request("cursor is not one this API gave out.") from None
        if not 0 < before < 2**62:
            raise bad_request("cursor is not one this API gave out.")
        papers = papers.filter(id__lt=before)
    if (categories := category_filter(request)) != Q():
        papers = papers.filter(id__in=Paper.objects.filter(categories).values("id"))
    since, until = date_param(request, "since"), date_param(request, "until")
    if since:
        papers = papers.filter(published_at__date__gte=since)
    if until:
        papers = papers.filter(published_at__date__lte=until)
    rows = list(papers[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    prefetch_cards(rows, listings=True)
    headers = {"Link": next_link(request, cursor=_base36(rows[-1].id))} if more else {}
    return json_response([paper_json(p, request) for p in rows], headers=headers)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


@csrf_exempt  # read-only: any other method gets the 405 below, never a CSRF page
@cached_page(per_member=False)
def paper_markdown(request: HttpRequest, ref: str) -> HttpResponse:
    """`/papers/{id}.md`: the paper page as Markdown (what huggingface_hub's read_paper reads)."""
    if request.method not in ("GET", "HEAD"):
        return error_response(405, "Use GET.", {"Allow": "GET, HEAD"})
    try:
        paper = get_paper(ref, request)
    except ApiError as exc:
        return HttpResponse(exc.message + "\n", status=exc.status, content_type="text/plain; charset=utf-8")
    prefetch_cards([paper], listings=True)
    response = HttpResponse(as_markdown(paper, request), content_type="text/markdown; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


def latest_day() -> dt.date | None:
    return Listing.objects.visible().aggregate(day=Max("day"))["day"]


@csrf_exempt
def api_not_found(request: HttpRequest) -> HttpResponse:
    return error_response(404, f"No API endpoint at {request.path[:200]}; see /api/ for the list.")


# --- search and similar papers (dailypapers.search) -------------------------------------------------


def _bool_param(request: HttpRequest, name: str) -> bool | None:
    raw = typed_param(request, name)
    if raw is None:
        return None
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise bad_request(f"{name} must be true or false, not {raw[:40]!r}.")


@endpoint("GET")
def paper_search(request: HttpRequest) -> HttpResponse:
    """Hybrid search (words and meaning), shaped like Hugging Face's /api/papers/search. Without `q`
    (`HfApi().list_papers()` sends none), the latest papers, as Hugging Face answers then."""
    from dailypapers.search import query
    from dailypapers.search.admission import SearchBusy, search_slot

    q = (request.GET.get("q") or "").strip()
    limit = limit_param(request, settings.API_SEARCH_MAX_LIMIT)
    offset = int_param(request, "offset", 0, 0, query.MAX_OFFSET)
    if len(q) > query.MAX_QUERY_CHARS:
        raise bad_request(
            f"q is {len(q):,} characters long; a search reads at most {query.MAX_QUERY_CHARS:,}."
        )
    codes = [c.strip() for v in request.GET.getlist("category") for c in v.split(",") if c.strip()]
    filters = {
        "since": date_param(request, "since"),
        "until": date_param(request, "until"),
        "categories": codes or None,
        "has_code": _bool_param(request, "has_code"),
    }
    try:
        # The search and the serialising of its results hold one of the process's search slots.
        with search_slot():
            if q:
                result = query.search_papers(q, limit=limit, offset=offset, **filters)
            else:
                result = query.latest_papers(limit=limit, offset=offset, **filters)
            prefetch_cards((hit.paper for hit in result.hits), listings=True)
            # A listing has no relevance to score.
            items = [search_item_json(h.paper, request, h.score if q else None) for h in result.hits]
    except SearchBusy as busy:
        # Shed, not queued: a client told to come back in a second beats 200 that all time out.
        wait = {"Retry-After": str(busy.retry_after), "Cache-Control": "no-store"}
        response = error_response(503, str(busy), wait, code="search_busy")
        response._has_been_logged = True  # shed load is expected: no ERROR line for each
        return response
    headers = {"X-Total-Count": str(result.total)}
    # Pages are slices of one ranking (a query's, or newest first): the next one starts where this ends.
    if offset + limit < result.ranked:
        headers["Link"] = next_link(request, offset=offset + limit)
    return json_response(items, headers=headers)


@endpoint("GET")
def similar(request: HttpRequest, ref: str) -> HttpResponse:
    from dailypapers.search.query import similar_papers

    paper = get_paper(ref)
    limit = int_param(request, "limit", 10, 1, 50)
    papers = [p for p in similar_papers(paper, limit=limit) if not p.hidden]
    prefetch_cards(papers, listings=True)
    return json_response([paper_json(p, request) for p in papers])


# --- comments, upvotes, submissions (dailypapers.community) -----------------------------------------


def _comment_json(comment, request: HttpRequest) -> dict[str, Any]:
    author = comment.author
    return {
        "id": comment.pk,
        "parentId": comment.parent_id,
        "author": user_json(author.get_username(), author.get_full_name()) if author else None,
        "body": "" if comment.removed else comment.body,
        "bodyHtml": "" if comment.removed else str(comment.body_html),
        "removed": comment.removed,
        "createdAt": iso(comment.created_at),
        "editedAt": iso(comment.edited_at),
    }


@endpoint("GET", "POST")
@cached_page(per_member=False, gate=READ_GATE)  # the rate limit counts every read
def comments(request: HttpRequest, ref: str) -> HttpResponse:
    """GET: the discussion here (top-level comments, each with its replies). POST: add a comment."""
    from dailypapers.community.models import Comment

    paper = get_paper(ref, request)
    if request.method == "POST":
        return _post_comment(request, paper, Comment)
    return json_response(
        [
            {**_comment_json(c, request), "replies": [_comment_json(r, request) for r in c.thread_replies]}
            for c in Comment.objects.threads(paper)
        ]
    )


def _post_comment(request: HttpRequest, paper: Paper, Comment) -> HttpResponse:
    from django.core.exceptions import ValidationError

    data = request_data(request)
    body = data.get("body")
    if not isinstance(body, str):
        raise bad_request("Give the comment as body (text).")
    parent = None
    if data.get("parent") not in (None, ""):
        try:
            parent_id = int(data["parent"])
        except (TypeError, ValueError):
            raise bad_request("parent must be the id of a comment.") from None
        parent = Comment.objects.filter(pk=parent_id, paper=paper, hidden=False).first()
        if parent is None:
            raise bad_request(f"There is no comment {parent_id} on this paper to reply to.")
    try:
        comment = Comment.post(request.api_user, paper, body, parent=parent)
    except ValidationError as exc:
        if exc.code == "rate":
            wait = {"Retry-After": str(exc.params["retry_after"])}
            raise ApiError(429, " ".join(exc.messages), wait, code="rate") from None
        raise ApiError(400, " ".join(exc.messages), code=exc.code or "invalid") from None
    return json_response(_comment_json(comment, request), status=201)


@endpoint("POST")
def upvote(request: HttpRequest, ref: str) -> HttpResponse:
    """Vote for a paper (`{"on": true}`), take the vote back (`{"on": false}`), or toggle (no `on`)."""
    from dailypapers.community.models import Upvote

    paper = get_paper(ref)
    data = request_data(request)
    on = data.get("on")
    if isinstance(on, str):
        on = {"true": True, "1": True, "false": False, "0": False}.get(on.lower(), on)
    if on is not None and not isinstance(on, bool):
        raise bad_request("on must be true or false.")
    voted, count = Upvote.toggle(request.api_user, paper, on=on)
    paper.refresh_from_db(fields=["upvote_count", "imported_upvotes"])
    return json_response(
        {"id": paper.arxiv_id, "voted": voted, "upvotesHere": count, "upvotes": paper.total_votes}
    )


@endpoint("POST")
def submit(request: HttpRequest) -> HttpResponse:
    """Put a paper on today's feed, by arXiv id or URL: the same rules as the web form."""
    from dailypapers.community.submissions import SubmissionRefused, submit_paper

    data = request_data(request)
    text = data.get("id") or data.get("text") or data.get("url")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("Give the paper as id (an arXiv id or arxiv.org URL).")
    fields = {}
    for key, name in (("note", "note"), ("githubRepo", "github_repo"), ("projectPage", "project_page")):
        value = data.get(key, "")
        if not isinstance(value, str):
            raise bad_request(f"{key} must be text.")
        fields[name] = value
    organization = data.get("organization")  # its name, as Hugging Face's items name it
    if organization is not None:
        if not isinstance(organization, str) or not organization.strip():
            raise bad_request("organization must be the name of one of your organisations.")
        found = Organization.objects.filter(name__iexact=organization.strip()[:100]).first()
        if found is None:
            raise ApiError(
                400, f"No organisation is called “{organization[:100]}”.", code="no_such_organization"
            )
        fields["organization"] = found
    try:
        listing = submit_paper(request.api_user, text, **fields)
    except SubmissionRefused as exc:
        # The member's daily allowance is a limit like any other; the rest are bad requests.
        if exc.retry_after is not None:
            raise ApiError(429, exc.message, {"Retry-After": str(exc.retry_after)}, code=exc.code) from None
        raise ApiError(400, exc.message, code=exc.code) from None
    listing = Listing.objects.select_related("paper__primary_category", "submitted_by", "organization").get(
        pk=listing.pk
    )
    prefetch_cards([listing.paper], listings=True)
    return json_response(daily_item_json(listing, request), status=201)
