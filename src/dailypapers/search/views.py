"""The search page: /papers/search?q=... with filters and paging, and ?similar_to=<arXiv id>."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.papers.models import Category, Paper

from .admission import SearchBusy
from .forms import PER_PAGE, SearchForm
from .query import MAX_QUERY_CHARS, search_papers, similar_papers

log = logging.getLogger(__name__)


def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    context: dict = {"form": form, "categories": _categories(), "messages_": []}
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
    page = data["page"]
    try:
        results = search_papers(
            q,
            since=data["since"],
            until=data["until"],
            categories=data["category"] or None,
            has_code=form.has_code(),
            limit=PER_PAGE,
            offset=(page - 1) * PER_PAGE,
        )
    except SearchBusy as busy:
        return busy_page(request, q, busy.retry_after)
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
