"""Members' signals from the browser: save, not interested, follow (htmx swaps in place; without
JavaScript a plain POST and a redirect back), the library, and the "Your taste" settings page.

The rules are the models' (`Save.add`, `Dismissal.add`, ...); views read the form, call them, and
turn their refusals into a message (or, for htmx, a short 4xx answer)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from dailypapers.core.addresses import is_htmx, return_address, sign_in_first
from dailypapers.papers import arxiv_categories
from dailypapers.papers.citing import bib_response
from dailypapers.papers.models import Author, Paper
from dailypapers.recommend.models import (
    Dismissal,
    Follow,
    Mute,
    Save,
    Taste,
    forget_everything,
)

LIBRARY_PER_PAGE = 50


def _refused(request: HttpRequest, exc: Exception, back: str) -> HttpResponse:
    text = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
    if is_htmx(request):
        return HttpResponse(text, status=403 if isinstance(exc, PermissionDenied) else 400)
    messages.error(request, text)
    return redirect(back)


def _paper(ref: str) -> Paper:
    paper = Paper.objects.visible().by_ref(ref)
    if paper is None:
        raise Http404("There is no such paper here.")
    return paper


def _on(request: HttpRequest) -> bool:
    return request.POST.get("on", "1") != "0"


# --- Save and Not interested (paper cards and paper pages) -------------------------------------


@require_POST
def save(request: HttpRequest, ref: str) -> HttpResponse:
    paper = _paper(ref)
    back = return_address(request, paper.get_absolute_url())
    if not request.user.is_authenticated:
        return sign_in_first(request, back)
    on = _on(request)
    try:
        if on:
            Save.add(request.user, paper)
        else:
            Save.remove(request.user, paper)
    except (PermissionDenied, ValidationError) as exc:
        return _refused(request, exc, back)
    if is_htmx(request):
        return render(request, "recommend/_save.html", {"paper": paper, "saved": on, "save_next": back})
    if on:
        messages.success(request, "Saved to your library.")
    return redirect(back)


@require_POST
def not_interested(request: HttpRequest, ref: str) -> HttpResponse:
    paper = _paper(ref)
    back = return_address(request, paper.get_absolute_url())
    if not request.user.is_authenticated:
        return sign_in_first(request, back)
    on = _on(request)
    try:
        if on:
            Dismissal.add(request.user, paper)
        else:
            Dismissal.undo(request.user, paper)
    except PermissionDenied as exc:
        return _refused(request, exc, back)
    if is_htmx(request):
        # A card goes, leaving a note with an undo button in its place; the paper page's button
        # turns into its undo.
        template = "recommend/_dismissed_card.html" if request.POST.get("card") else "recommend/_dismiss.html"
        return render(request, template, {"paper": paper, "dismissed": on, "dismiss_next": back})
    if on:
        # Without htmx there is no card note: the flash links to the paper page, where its Undo is.
        note = '“{}” is hidden from your feeds. <a href="{}">Undo</a> on its page.'
        messages.success(request, format_html(note, paper.title_line[:120], paper.get_absolute_url()))
    return redirect(back)


# --- Follows ------------------------------------------------------------------------------------


def follow_target_url(kind: str, target: str) -> str:
    """Where a followed thing's page is: an author's page, a member's profile, a category's listing
    on arXiv (the site has no page per category)."""
    if kind == Follow.Kind.CATEGORY:
        return f"https://arxiv.org/list/{target}/recent"
    try:
        return reverse("front:author" if kind == Follow.Kind.AUTHOR else "front:profile", args=[target])
    except NoReverseMatch:
        return ""


@require_POST
def follow(request: HttpRequest) -> HttpResponse:
    kind, target = request.POST.get("kind", ""), request.POST.get("target", "")[:500]
    back = return_address(request, reverse("recommend:settings"))
    if not request.user.is_authenticated:
        return sign_in_first(request, back)
    on = _on(request)
    try:
        if on:
            Follow.add(request.user, kind, target)
        else:
            Follow.remove(request.user, kind, target)
    except (PermissionDenied, ValidationError) as exc:
        return _refused(request, exc, back)
    if is_htmx(request):
        context = {
            "follow_kind": kind,
            "follow_target": target,
            "following": on,
            "follow_label": request.POST.get("label", "")[:300],
            "follow_next": back,
        }
        return render(request, "recommend/_follow.html", context)
    return redirect(back)


# --- The library ---------------------------------------------------------------------------------


@login_required
def library(request: HttpRequest) -> HttpResponse:
    saves = Save.objects.filter(user=request.user).select_related("paper").order_by("-saved_at", "-id")
    tag = " ".join(request.GET.get("tag", "").split())[:100]
    if tag:
        # Tags are few per save; filtering in Python keeps one query shape on SQLite and PostgreSQL.
        saves = [s for s in saves if s.has_tag(tag)]
    page = Paginator(saves, LIBRARY_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "recommend/library.html",
        {"page": page, "tag": tag, "tags": Save.tags_of(request.user)},
    )


@login_required
def library_bib(request: HttpRequest) -> HttpResponse:
    """The member's own library (or one of its tags, `?tag=`) as a BibTeX file, newest save first."""
    saves = Save.objects.filter(user=request.user, paper__hidden=False).order_by("-saved_at", "-id")
    tag = " ".join(request.GET.get("tag", "").split())[:100]
    papers = [s.paper for s in saves.select_related("paper") if not tag or s.has_tag(tag)]
    return bib_response(papers, "library.bib", private=True)


@login_required
@require_POST
def library_item(request: HttpRequest, ref: str) -> HttpResponse:
    """Edit a saved paper's tags and note, or take it out of the library."""
    paper = _paper(ref)
    back = return_address(request, reverse("recommend:library"))
    if request.POST.get("action") == "remove":
        Save.remove(request.user, paper)
        messages.success(request, f"“{paper.title_line[:120]}” is out of your library.")
        return redirect(back)
    item = Save.objects.filter(user=request.user, paper=paper).first()
    if item is None:
        raise Http404("That paper is not in your library.")
    try:
        item.edit(request.user, tags=request.POST.get("tags", ""), note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, "Tags and note saved.")
    return redirect(back)


# --- Your taste ----------------------------------------------------------------------------------


def _private_feed_urls(request: HttpRequest, taste: Taste) -> dict[str, str]:
    """The private feed's addresses, where the site serves one (the API app names it)."""
    urls = {}
    for fmt in ("rss", "atom"):
        try:
            urls[fmt] = request.build_absolute_uri(
                reverse("api:feed-for-you", kwargs={"key": taste.feed_key, "fmt": fmt})
            )
        except NoReverseMatch:
            return {}
    return urls


@login_required
def taste_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    taste = Taste.of(user)
    follows = list(Follow.objects.filter(user=user).order_by("kind", "target"))
    author_keys = [f.target for f in follows if f.kind == Follow.Kind.AUTHOR]
    names = dict(Author.objects.filter(key__in=author_keys).values_list("key", "name"))
    for f in follows:
        f.label = names.get(f.target, f.target) if f.kind == Follow.Kind.AUTHOR else f.target
        f.url = follow_target_url(f.kind, f.target)
    mutes = list(Mute.objects.filter(user=user).order_by("kind", "value"))
    return render(
        request,
        "recommend/settings.html",
        {
            "taste": taste,
            "mix_percent": round(taste.mix * 100),
            "follows": follows,
            "mutes": mutes,
            "follow_kinds": Follow.Kind.choices,
            "mute_kinds": Mute.Kind.choices,
            "feed_urls": _private_feed_urls(request, taste),
            "counts": {
                "saves": Save.objects.filter(user=user).count(),
                "dismissals": Dismissal.objects.filter(user=user).count(),
            },
            "category_codes": sorted(arxiv_categories.ARXIV_CATEGORIES),
        },
    )


@login_required
@require_POST
def mute(request: HttpRequest) -> HttpResponse:
    kind, value = request.POST.get("kind", ""), request.POST.get("value", "")[:1000]
    back = reverse("recommend:settings") + "#mutes"
    try:
        if _on(request):
            Mute.add(request.user, kind, value)
        else:
            Mute.remove(request.user, kind, value)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect(back)


@login_required
@require_POST
def mix(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("mix", "").strip()
    try:
        # The form's range input counts in percent (0 to 100); the model keeps a fraction.
        value = float(raw) / 100 if raw else None
        Taste.of(request.user).set_mix(value)
    except (ValidationError, ValueError, OverflowError):
        messages.error(request, "The mix is a number from 0 to 100.")
    else:
        messages.success(request, "Your mix is saved.")
    return redirect(reverse("recommend:settings") + "#mix")


@login_required
@require_POST
def feed_key(request: HttpRequest) -> HttpResponse:
    Taste.of(request.user).regenerate_feed_key()
    messages.success(request, "Your private feed has a new address; the old one no longer works.")
    return redirect(reverse("recommend:settings") + "#private-feed")


@login_required
@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest) -> HttpResponse:
    """Forget everything learned, after the member confirms it on this page."""
    if request.method == "POST":
        if request.POST.get("confirm") != "forget":
            messages.error(request, "Tick the box to confirm: nothing was reset.")
            return redirect("recommend:reset")
        forget_everything(request.user)
        messages.success(request, "Everything learned about your taste is gone.")
        return redirect("recommend:settings")
    user = request.user
    counts = {
        "saved papers": Save.objects.filter(user=user).count(),
        "papers marked not interested": Dismissal.objects.filter(user=user).count(),
        "follows": Follow.objects.filter(user=user).count(),
        "mutes": Mute.objects.filter(user=user).count(),
        "ratings": user.ratings.count(),
    }
    return render(request, "recommend/reset.html", {"counts": counts})
