"""Collection pages and forms: the list of public collections, a member's collections, a collection's
page with its owner's controls, and "Add to collection" from a card or paper page.

Every form works without JavaScript (a POST and a redirect, or a page of its own); htmx swaps the
"Add to collection" button for a small inline form, and that form for a note saying where the paper
went. The rules are the models' (`Collection.add_paper`, ...); views read forms and report refusals.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from dailypapers.collections.models import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    TITLE_MAX,
    Collection,
    CollectionUpvote,
)
from dailypapers.core.addresses import is_htmx, is_own_page, return_address, sign_in_first
from dailypapers.papers.citing import bib_response
from dailypapers.papers.models import Paper

PER_PAGE = 50
LIMITS = {"title_max": TITLE_MAX, "description_max": DESCRIPTION_MAX, "note_max": NOTE_MAX}


def _refusal(exc: Exception) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _collection(request: HttpRequest, username: str, tail: str) -> Collection:
    found = Collection.objects.by_slug(f"{username}/{tail}", request.user)
    if found is None:
        raise Http404("There is no such collection here.")
    return found


def _listed(collections) -> Any:
    return collections.select_related("owner").annotate(
        paper_count=Count("items", filter=Q(items__paper__hidden=False))
    )


# --- lists ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    """GET: public collections, most upvoted first. POST: a member makes a new one."""
    if request.method == "POST":
        return _create(request)
    public = _listed(Collection.objects.filter(private=False, hidden=False)).order_by(
        "-upvote_count", "-updated_at", "-id"
    )
    page = Paginator(public, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "collections/index.html", {"page": page, **LIMITS})


def _create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return sign_in_first(request, reverse("collections:index"))
    try:
        collection = Collection.create(
            request.user,
            request.POST.get("title", ""),
            request.POST.get("description", ""),
            private=request.POST.get("private") == "1",
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
        return redirect(return_address(request, reverse("collections:index")))
    messages.success(request, f"Your collection “{collection.title}” is made.")
    return redirect(collection.get_absolute_url())


def member_collections(request: HttpRequest, username: str) -> HttpResponse:
    """A member's collections in their order: the public ones, and to the member all of theirs."""
    owner = get_user_model().objects.filter(username__iexact=username).first()
    if owner is None:
        raise Http404(f"There is no member called “{username[:150]}”.")
    if owner.get_username() != username:
        return redirect("collections:member", username=owner.get_username())
    mine = Collection.objects.visible_to(request.user).filter(owner=owner).order_by("position", "id")
    return render(
        request,
        "collections/member.html",
        {"owner": owner, "collections": _listed(mine), "is_owner": request.user.pk == owner.pk, **LIMITS},
    )


# --- one collection ---------------------------------------------------------------------------------


def detail(request: HttpRequest, username: str, tail: str) -> HttpResponse:
    collection = _collection(request, username, tail)
    if collection.get_absolute_url() != request.path:
        return redirect(collection.get_absolute_url())  # renamed: to its address under the new title
    items = list(collection.shown_items().prefetch_related("paper__authorships"))
    return render(
        request,
        "collections/detail.html",
        {
            "collection": collection,
            "items": items,
            "is_owner": collection.is_owner(request.user),
            "voted": CollectionUpvote.voted(request.user, collection),
            **LIMITS,
        },
    )


def detail_bib(request: HttpRequest, username: str, tail: str) -> HttpResponse:
    """The collection's papers, in its order, as a BibTeX file (for those who may see it)."""
    collection = _collection(request, username, tail)
    papers = [item.paper for item in collection.shown_items()]
    return bib_response(
        papers, f"{collection.slug_tail}.bib", private=collection.private or collection.hidden
    )


def _owner_post(request: HttpRequest, username: str, tail: str) -> tuple[Collection | None, HttpResponse]:
    """The collection a POST changes, or (None, the answer): sign in first, or a 404 for others."""
    if not request.user.is_authenticated:
        return None, sign_in_first(request, reverse("collections:detail", args=[username, tail]))
    collection = _collection(request, username, tail)
    if not collection.is_owner(request.user):
        raise PermissionDenied("Only its owner can change this collection.")
    return collection, HttpResponse()


@require_POST
def edit(request: HttpRequest, username: str, tail: str) -> HttpResponse:
    collection, answer = _owner_post(request, username, tail)
    if collection is None:
        return answer
    try:
        collection.change(
            request.user,
            title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
            private=request.POST.get("private") == "1",
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, "The collection is saved.")
    return redirect(collection.get_absolute_url())


@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, username: str, tail: str) -> HttpResponse:
    if request.method == "GET":
        collection = _collection(request, username, tail)
        if not collection.is_owner(request.user):
            raise PermissionDenied("Only its owner can delete this collection.")
        return render(request, "collections/delete.html", {"collection": collection})
    collection, answer = _owner_post(request, username, tail)
    if collection is None:
        return answer
    title = collection.title
    collection.delete_by(request.user)
    messages.success(request, f"The collection “{title}” is deleted.")
    return redirect("collections:member", username=request.user.get_username())


@require_POST
def upvote(request: HttpRequest, username: str, tail: str) -> HttpResponse:
    collection = _collection(request, username, tail)
    if not request.user.is_authenticated:
        return sign_in_first(request, collection.get_absolute_url())
    wanted = request.POST.get("on")
    try:
        voted, _ = CollectionUpvote.toggle(
            request.user, collection, on=None if wanted is None else wanted == "1"
        )
    except PermissionDenied as exc:
        if is_htmx(request):
            return HttpResponse(str(exc), status=403)
        messages.error(request, str(exc))
        return redirect(collection.get_absolute_url())
    if is_htmx(request):
        return render(request, "collections/_upvote.html", {"collection": collection, "voted": voted})
    return redirect(collection.get_absolute_url())


@require_POST
def item(request: HttpRequest, username: str, tail: str, item_id: str) -> HttpResponse:
    """The owner's controls of one item: `action` is note (with `note`), up, down or remove."""
    collection, answer = _owner_post(request, username, tail)
    if collection is None:
        return answer
    found = collection.items.select_related("paper").filter(pk=int(item_id)).first()
    if found is None:
        messages.error(request, "That paper is no longer in this collection.")
        return redirect(collection.get_absolute_url())
    action = request.POST.get("action", "")
    try:
        if action == "note":
            found.change(request.user, note=request.POST.get("note", ""))
        elif action in ("up", "down"):
            order = list(collection.items.order_by("position", "id").values_list("pk", flat=True))
            index = order.index(found.pk) + (-1 if action == "up" else 1)
            found.change(request.user, position=max(index, 0))
        elif action == "remove":
            found.remove(request.user)
            messages.success(request, f"“{found.paper.title_line[:100]}” is out of the collection.")
        else:
            messages.error(request, "Choose what to do with the paper.")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    anchor = "" if action == "remove" else f"#item-{found.pk}"
    return redirect(collection.get_absolute_url() + anchor)


# --- "Add to collection" -----------------------------------------------------------------------------


def _paper(ref: str) -> Paper:
    paper = Paper.objects.visible().by_ref(ref)
    if paper is None:
        raise Http404("There is no such paper here.")
    return paper


def _next(request: HttpRequest, paper: Paper) -> str:
    for target in (request.POST.get("next", ""), request.GET.get("next", "")):
        if is_own_page(request, target):
            return target
    return paper.get_absolute_url()


@require_http_methods(["GET", "POST"])
def add(request: HttpRequest, ref: str) -> HttpResponse:
    """GET: pick one of your collections (or name a new one) for the paper: a page, or with htmx the
    inline form. POST: add it, then back where the reader was (htmx: a note in the form's place)."""
    paper = _paper(ref)
    back = _next(request, paper)
    if not request.user.is_authenticated:
        return sign_in_first(request, back if request.method == "POST" else request.get_full_path())
    error = ""
    if request.method == "POST":
        try:
            collection = _chosen(request)
            collection.add_paper(request.user, paper, request.POST.get("note", ""))
        except (ValidationError, PermissionDenied) as exc:
            error = _refusal(exc)
        else:
            if is_htmx(request):
                return render(request, "collections/_added.html", {"paper": paper, "collection": collection})
            note = 'Added to <a href="{}">{}</a>.'
            messages.success(request, format_html(note, collection.get_absolute_url(), collection.title))
            return redirect(back)
    mine = Collection.objects.filter(owner=request.user).order_by("position", "id")
    holding = set(mine.filter(items__paper=paper).values_list("pk", flat=True))
    context = {
        "paper": paper,
        "collections": mine,
        "holding": holding,
        "next": back,
        "error": error,
        "chosen": request.POST.get("collection", ""),
        "new_title": request.POST.get("new_title", ""),
        "private": request.POST.get("private") == "1",
        "note": request.POST.get("note", ""),
        **LIMITS,
    }
    template = "collections/_add_form.html" if is_htmx(request) else "collections/add.html"
    return render(request, template, context)


def _chosen(request: HttpRequest) -> Collection:
    """The member's collection the form picked, or the new one it names (made now)."""
    new_title = request.POST.get("new_title", "").strip()
    chosen = request.POST.get("collection", "")
    # A typed title wins over the list, whose first collection is picked until the reader changes it:
    # "or a new one, titled" must not quietly go to that one.
    if new_title:
        mine = Collection.objects.filter(owner=request.user)
        same = mine.filter(title__iexact=new_title).first() if len(new_title) <= TITLE_MAX else None
        if same is not None:
            return same  # the one they have of that title
        return Collection.create(request.user, new_title, private=request.POST.get("private") == "1")
    if chosen.isascii() and chosen.isdigit() and len(chosen) <= 18:
        found = Collection.objects.filter(owner=request.user, pk=int(chosen)).first()
        if found is not None:
            return found
    raise ValidationError("Choose one of your collections, or give a title for a new one.", code="choose")
