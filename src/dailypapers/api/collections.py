"""Collections through the API, shaped like Hugging Face's `/api/collections` so that
`huggingface_hub`'s list_collections, get_collection, create_collection, update_collection_metadata,
delete_collection, add_collection_item, update_collection_item and delete_collection_item work with
`HfApi(endpoint=...)`. Only papers are collected here (item type "paper").

Reads are open; with a token they also see the token member's private collections. A private (or
hidden) collection is a 404 to everyone else. Writes need a token and only its owner's.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse

from dailypapers.api.plumbing import (
    ApiError,
    authenticate,
    bad_request,
    bearer_token,
    endpoint,
    json_response,
    request_data,
)
from dailypapers.api.serializers import user_json
from dailypapers.api.views import MAX_PAGE, int_param, limit_param, next_link, typed_param
from dailypapers.collections.models import Collection, CollectionItem
from dailypapers.core.timestamps import iso
from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.papers.models import Paper

LIST_ITEMS = 4  # a listed collection shows its first items, as Hugging Face's list does
SORTS = {"lastModified": ("-updated_at", "-id"), "trending": ("-upvote_count", "-updated_at", "-id"),
         "upvotes": ("-upvote_count", "-id")}  # fmt: skip


def _reader(request: HttpRequest) -> None:
    """A read with a token is the token member's (their private collections too); without, anyone's."""
    if bearer_token(request) is not None:
        authenticate(request)


def _private_answer(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.api_user is not None:
        response["Cache-Control"] = "private, no-cache"
        response["Vary"] = "Authorization"
    return response


def item_json(item: CollectionItem) -> dict[str, Any]:
    paper = item.paper
    data: dict[str, Any] = {
        "_id": str(item.pk),
        "id": paper.arxiv_id,
        "type": "paper",
        "position": item.position,
        "title": paper.title_line,
        "upvotes": paper.total_votes,
        "publishedAt": iso(paper.published_at),
        "addedAt": iso(item.added_at),
    }
    if item.note:
        data["note"] = {"text": item.note, "html": item.note_html}
    return data


def collection_json(collection: Collection, items: list[CollectionItem] | None = None) -> dict[str, Any]:
    owner = collection.owner
    if items is None:
        items = list(collection.shown_items())
    data = {
        "slug": collection.slug,
        "id": str(collection.pk),
        "title": collection.title,
        "description": collection.description,
        "owner": user_json(owner.get_username(), owner.get_full_name()),
        "items": [item_json(item) for item in items],
        "lastUpdated": iso(collection.updated_at),
        "position": collection.position,
        "private": collection.private,
        "theme": collection.theme,
        "upvotes": collection.upvote_count,
        "gating": False,
        "url": collection.get_absolute_url(),
    }
    if getattr(collection, "paper_count", None) is not None:
        data["numberItems"] = collection.paper_count
    return data


def _get(request: HttpRequest, username: str, tail: str) -> Collection:
    found = Collection.objects.by_slug(f"{username}/{tail}", request.api_user)
    if found is None:
        raise ApiError(404, f"Collection {username[:40]}/{tail[:80]} not found.")
    return found


def _owned(request: HttpRequest, username: str, tail: str) -> Collection:
    collection = _get(request, username, tail)
    if not collection.is_owner(request.api_user):
        raise ApiError(403, "Only its owner can change this collection.", code="forbidden")
    return collection


def _refused(exc: ValidationError) -> ApiError:
    status = {"exists": 409, "too_many": 409}.get(exc.code or "", 400)
    return ApiError(status, " ".join(exc.messages), code=exc.code or "invalid")


def _text_field(data: dict[str, Any], name: str) -> Any:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"{name} must be text.")
    return value


def _bool_field(data: dict[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if isinstance(value, str):  # a form's field
        value = {"true": True, "1": True, "false": False, "0": False, "": None}.get(value.lower(), value)
    if value is not None and not isinstance(value, bool):
        raise bad_request(f"{name} must be true or false.")
    return value


def _int_field(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 9:
        value = int(value)
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**9
    ):
        raise bad_request(f"{name} must be a whole number, 0 or more.")
    return value


# --- endpoints -----------------------------------------------------------------------------------


@endpoint("GET", "POST")
def collections(request: HttpRequest) -> HttpResponse:
    """GET: collections, filtered by owner and item. POST: make one (title, description, private)."""
    if request.method == "POST":
        return _create(request)
    _reader(request)
    found = Collection.objects.visible_to(request.api_user)
    owners = [o for value in request.GET.getlist("owner") for o in value.split(",") if o.strip()]
    if owners:
        found = found.filter(owner__username__in=owners)
    items = [i for value in request.GET.getlist("item") for i in value.split(",") if i.strip()]
    if items:
        ids = []
        for item in items:
            parsed = parse_arxiv_id(item.strip().removeprefix("papers/"))
            if parsed is None:
                raise bad_request(f"item must name a paper, as papers/<arXiv id>, not {item[:60]!r}.")
            ids.append(parsed.id)
        found = found.filter(items__paper__arxiv_id__in=ids, items__paper__hidden=False).distinct()
    sort = typed_param(request, "sort")
    if sort is not None and sort not in SORTS:
        raise bad_request(f"sort must be one of {', '.join(SORTS)}, not {sort[:40]!r}.")
    if sort is None:
        order = ("owner__username", "position", "id") if owners else SORTS["lastModified"]
    else:
        order = SORTS[sort]
    limit = limit_param(request)
    page = int_param(request, "p", 0, 0, MAX_PAGE)
    rows = list(
        found.select_related("owner")
        .annotate(paper_count=Count("items", filter=Q(items__paper__hidden=False), distinct=True))
        .order_by(*order)[page * limit : page * limit + limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    headers = {"Link": next_link(request, p=page + 1)} if more else {}
    answer = [collection_json(c, list(c.shown_items()[:LIST_ITEMS])) for c in rows]
    for data in answer:
        # As in Hugging Face's list, which leaves it out: huggingface_hub numbers the list itself.
        data.pop("position")
    return _private_answer(request, json_response(answer, headers=headers))


def _create(request: HttpRequest) -> HttpResponse:
    data = request_data(request)
    namespace = _text_field(data, "namespace")
    if namespace and namespace.lower() != request.api_user.get_username().lower():
        raise ApiError(403, "A collection can only be made in your own namespace.", code="forbidden")
    try:
        collection = Collection.create(
            request.api_user,
            _text_field(data, "title"),
            _text_field(data, "description") or "",
            private=bool(_bool_field(data, "private")),
            theme=_text_field(data, "theme") or "",
        )
    except ValidationError as exc:
        error = _refused(exc)
        if exc.code == "exists":  # huggingface_hub's exists_ok reads the slug of the one there is
            body = {"error": error.message, "code": "exists", "slug": exc.params["slug"]}
            return json_response(body, status=409)
        raise error from None
    return json_response(collection_json(collection, []), status=201)


@endpoint("GET", "PATCH", "DELETE")
def collection(request: HttpRequest, username: str, tail: str) -> HttpResponse:
    if request.method == "GET":
        _reader(request)
        return _private_answer(request, json_response(collection_json(_get(request, username, tail))))
    found = _owned(request, username, tail)
    if request.method == "DELETE":
        found.delete_by(request.api_user)
        return json_response({"success": True})
    data = request_data(request)
    fields: dict[str, Any] = {}
    for name in ("title", "description", "theme"):
        if (value := _text_field(data, name)) is not None:
            fields[name] = value
    if (private := _bool_field(data, "private")) is not None:
        fields["private"] = private
    if (position := _int_field(data, "position")) is not None:
        fields["position"] = position
    try:
        found.change(request.api_user, **fields)
    except ValidationError as exc:
        raise _refused(exc) from None
    found.refresh_from_db()
    return json_response({"success": True, "data": collection_json(found)})


@endpoint("POST")
def add_item(request: HttpRequest, username: str, tail: str) -> HttpResponse:
    """Add a paper: `{"item": {"type": "paper", "id": "2401.12345"}, "note": "..."}`."""
    found = _owned(request, username, tail)
    data = request_data(request)
    item = data.get("item")
    if isinstance(item, str):  # a form: item=2401.12345
        item = {"type": data.get("type", "paper"), "id": item}
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise bad_request('Give the item as {"type": "paper", "id": "<arXiv id>"}.')
    if item.get("type", "paper") != "paper":
        raise bad_request('Only papers can be collected here (item type "paper").')
    parsed = parse_arxiv_id(item["id"])
    paper = Paper.objects.visible().by_ref(parsed) if parsed else None
    if paper is None:
        raise ApiError(404, f"Paper {item['id'][:60]} is not in this catalogue.")
    try:
        found.add_paper(request.api_user, paper, _text_field(data, "note") or "")
    except ValidationError as exc:
        raise _refused(exc) from None
    found.refresh_from_db()
    return json_response(collection_json(found))


@endpoint("PATCH", "DELETE")
def item(request: HttpRequest, username: str, tail: str, item_id: str) -> HttpResponse:
    """PATCH: a new note and/or position (0 first). DELETE: take the paper out."""
    found = _owned(request, username, tail)
    row = found.item(item_id)
    if row is None:
        raise ApiError(404, f"There is no item {item_id[:60]} in this collection.")
    if request.method == "DELETE":
        row.remove(request.api_user)
        return json_response({"success": True})
    data = request_data(request)
    note, position = _text_field(data, "note"), _int_field(data, "position")
    try:
        row.change(request.api_user, note=note, position=position)
    except ValidationError as exc:
        raise _refused(exc) from None
    found.refresh_from_db()
    return json_response({"success": True, "data": collection_json(found)})


@endpoint("GET", auth=True)
def whoami(request: HttpRequest) -> HttpResponse:
    """The token's member, as Hugging Face's `/api/whoami-v2` answers (huggingface_hub's whoami)."""
    user = request.api_user
    token = request.api_token
    return json_response(
        {
            **user_json(user.get_username(), user.get_full_name()),
            "auth": {"type": "access_token", "accessToken": {"displayName": token.name, "role": "write"}},
        },
        headers={"Cache-Control": "private, no-store", "Vary": "Authorization"},
    )
