"""The search page: /papers/search?q=... with filters and paging, and ?similar_to=<arXiv id>."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.papers.models import Category, Paper

from .admission import SearchBusy, search_slot
from .forms import PER_PAGE, SearchForm
from .instance import get_engine
from .query import MAX_QUERY_CHARS, search_papers, similar_papers

log = logging.getLogger(__name__)


def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    # Called by the template only when it renders the filters: a cached page or a 503 needs no query.
    context: dict = {"form": form, "categories": _categories, "messages_": []}
    msgs = context["messages_"]
    if not form.is_valid():
        for errors in form.errors.values():
            msgs.extend(errors)
        return render(request, "search/results.html", context, status=400)
    data = form.cleaned_data
    if data["similar_to"]:
        return _similar(request, data["similar_to"], context)
    q = data["q"]
    if not q:
        msgs.append("Type some words, an author, a title or an arXiv id to search for.")
        return render(request, "search/results.html", context)
    if form.too_long:
        msgs.append(
            f"Your search was {len(q):,} characters long; only its first {MAX_QUERY_CHARS:,} were used."
        )
    key = _page_key(request)
    if key and (html := cache.get(key)) is not None:
        return _from_cache(request, html)
    try:
        with search_slot():  # the ranking, the page's papers and their rendering: the costly part
            response = _results(request, form, context, q)
    except SearchBusy as busy:
        return busy_page(request, q, busy.retry_after)
    if key and response.status_code == 200:
        cache.set(key, _CSRF_INPUT.sub(_CSRF_SLOT, response.content.decode()), settings.SEARCH_CACHE_SECONDS)
    return response


# --- anonymous result pages, cached briefly ---

_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
_CSRF_SLOT = 'name="csrfmiddlewaretoken" value="\x00csrf\x00"'


def _page_key(request: HttpRequest) -> str | None:
    """The cache key of this result page, or None when it must be rendered for this visitor.

    Only visitors with no cookie but the CSRF one share pages: a session may carry a member's votes or
    a pending message. The key holds the search index's manifest, which each write to the index
    changes (a new paper shows at once); counts on the cards may lag by SEARCH_CACHE_SECONDS."""
    if settings.SEARCH_CACHE_SECONDS <= 0 or set(request.COOKIES) - {settings.CSRF_COOKIE_NAME}:
        return None
    engine = get_engine()
    # The whole query string (sorted): the page's links repeat its parameters.
    params = sorted((k, v) for k, values in request.GET.lists() for v in values)
    parts = [str(engine.root), json.dumps(engine.manifest, sort_keys=True), json.dumps(params)]
    parts += [request.scheme or "", request.get_host()]
    return "search-page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _from_cache(request: HttpRequest, html: str) -> HttpResponse:
    # This visitor's own CSRF token in the vote forms (and its cookie set, as a render would).
    token = get_token(request)
    response = HttpResponse(html.replace("\x00csrf\x00", token))
    patch_vary_headers(response, ["Cookie"])
    return response


def _results(request: HttpRequest, form: SearchForm, context: dict, q: str) -> HttpResponse:
    data = form.cleaned_data
    msgs = context["messages_"]
    page = data["page"]
    results = search_papers(
        q,
        since=data["since"],
        until=data["until"],
        categories=data["category"] or None,
        has_code=form.has_code(),
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
    )
    if results.arxiv_ref and not results.hits:
        context["missing_ref"] = results.arxiv_ref
    if results.mode == "lexical" and not results.arxiv_ref:
        context["lexical_only"] = True
    # Pages are slices of the one ranking (see search_papers), so their number follows from its size.
    pages = max(1, -(-results.ranked // PER_PAGE))
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    context.update(
        results=results,
        page=page,
        pages=pages,
        rank_offset=(page - 1) * PER_PAGE,
        prev_url=f"?{urlencode({**params, 'page': min(page - 1, pages)})}" if page > 1 else "",
        next_url=f"?{urlencode({**params, 'page': page + 1})}" if page < pages else "",
        filtered=bool(data["since"] or data["until"] or data["category"] or form.has_code() is not None),
    )
    if page > pages:
        msgs.append(f"This search has no page {page}: its results end on page {pages}.")
        context["past_the_end"] = True
        return render(request, "search/results.html", context, status=404)
    return render(request, "search/results.html", context)


def busy_page(request: HttpRequest, q: str, retry_after: int) -> HttpResponse:
    """503 + Retry-After while this process runs as many searches as it may (admission.py)."""
    context = {"q": q, "retry_after": retry_after, "retry_url": request.get_full_path()}
    response = render(request, "search/busy.html", context, status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    # Shed load is expected, not a fault: no ERROR line for each of hundreds of these.
    response._has_been_logged = True
    return response


def _similar(request: HttpRequest, raw: str, context: dict) -> HttpResponse:
    ref = parse_arxiv_id(raw)
    paper = Paper.objects.visible().by_ref(ref) if ref else None
    if paper is None:
        context["messages_"].append(
            f"“{raw[:100]}” is not a paper in this catalogue."
            if ref or len(raw) < 100
            else "That is not an arXiv id."
        )
        return render(request, "search/results.html", context, status=404)
    context.update(source=paper, similar=similar_papers(paper, limit=PER_PAGE))
    return render(request, "search/results.html", context)


def _categories() -> list[str]:
    # Categories are created as papers bring them in, so every one listed has papers.
    return list(Category.objects.values_list("code", flat=True))
