"""API tokens (made and revoked on the account page) and "download my data"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from dailypapers.api.models import ApiToken
from dailypapers.api.plumbing import iso


def account_url() -> str:
    try:
        return reverse("accounts:account")
    except NoReverseMatch:
        return "/account/"


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True, help_text="What it is for, e.g. “reading-group bot”.")


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next") or account_url()
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = account_url()
    return redirect(target)


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the new token a name (up to 100 characters).")
        return _back(request)
    if ApiToken.objects.filter(user=request.user, revoked_at=None).count() >= settings.API_MAX_TOKENS:
        messages.error(request, f"You have {settings.API_MAX_TOKENS} tokens already; revoke one first.")
        return _back(request)
    token, raw = ApiToken.issue(request.user, form.cleaned_data["name"])
    # Shown here once, in the answer to the POST: never stored, never put in a cookie or a redirect URL.
    response = render(request, "api/token_created.html", {"token": token, "raw": raw})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    token.revoke()
    messages.success(
        request, f"The token “{token.name}” is revoked; programs using it are refused from now on."
    )
    return _back(request)


# --- data export ------------------------------------------------------------------------------------

# Extension point: further parts of the export from apps that keep data about a member, as
# (key, function(user) -> JSON-ready data). Profiles and digest subscriptions are read through the
# app registry (see export_sections), so this app needs no import of theirs.
EXTRA_SECTIONS: list[tuple[str, Callable[[Any], Any]]] = []


def _submissions(user) -> list[dict[str, Any]]:
    from dailypapers.papers.models import Listing

    return [
        {
            "paper": listing.paper.arxiv_id,
            "title": listing.paper.title,
            "day": listing.day.isoformat(),
            "submittedAt": iso(listing.submitted_at),
            "note": listing.note,
            "hidden": listing.hidden,
        }
        for listing in Listing.objects.filter(submitted_by=user).select_related("paper").order_by("day", "id")
    ]


def _votes(user) -> list[dict[str, Any]]:
    from dailypapers.community.models import Upvote

    return [
        {"paper": vote.paper.arxiv_id, "title": vote.paper.title, "votedAt": iso(vote.created_at)}
        for vote in Upvote.objects.filter(user=user).select_related("paper").order_by("created_at", "id")
    ]


def _comments(user) -> list[dict[str, Any]]:
    from dailypapers.community.models import Comment

    return [
        {
            "id": c.pk,
            "paper": c.paper.arxiv_id,
            "parentId": c.parent_id,
            "body": c.body,
            "createdAt": iso(c.created_at),
            "editedAt": iso(c.edited_at),
            "hiddenByModerator": c.hidden,
        }
        for c in Comment.objects.filter(author=user).select_related("paper").order_by("created_at", "id")
    ]


def _tokens(user) -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "prefix": t.prefix,
            "createdAt": iso(t.created_at),
            "lastUsedAt": iso(t.last_used_at),
            "revokedAt": iso(t.revoked_at),
        }
        for t in ApiToken.objects.filter(user=user)
    ]


# Never exported: secrets, and the workers' bookkeeping.
_PRIVATE_FIELDS = {"id", "user", "password", "claimed_by", "claimed_at"}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return iso(value) if isinstance(value, dt.datetime) else value.isoformat()
    return value


def _model_rows(queryset) -> list[dict[str, Any]]:
    """Every ordinary field of each row, for models of other apps read through the app registry."""
    fields = [
        f
        for f in queryset.model._meta.concrete_fields
        if f.name not in _PRIVATE_FIELDS and "token" not in f.name and "secret" not in f.name
    ]
    return [{f.name: _plain(f.value_from_object(row)) for f in fields} for row in queryset]


def _profile(user) -> dict[str, Any] | None:
    try:
        Profile = apps.get_model("accounts", "Profile")
    except LookupError:
        return None
    rows = _model_rows(Profile.objects.filter(user=user))
    return rows[0] if rows else None


def _digest_subscriptions(user) -> list[dict[str, Any]]:
    """The digests app's subscriptions: the member's own, and any made for their address signed out."""
    try:
        Subscription = apps.get_model("digests", "Subscription")
    except LookupError:
        return []  # a build without the digests app's model
    mine = Q(user=user)
    if user.email:
        mine |= Q(email__iexact=user.email)
    return _model_rows(Subscription.objects.filter(mine).order_by("pk"))


def export_sections() -> list[tuple[str, Callable[[Any], Any]]]:
    sections = [
        ("profile", _profile),
        ("submissions", _submissions),
        ("upvotes", _votes),
        ("comments", _comments),
        ("digestSubscriptions", _digest_subscriptions),
        ("apiTokens", _tokens),
    ]
    return sections + EXTRA_SECTIONS


def user_export(user) -> dict[str, Any]:
    data: dict[str, Any] = {
        "exportedAt": iso(timezone.now()),
        "site": settings.SITE_URL,
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "dateJoined": iso(user.date_joined),
            "lastLogin": iso(user.last_login),
        },
    }
    for key, section in export_sections():
        data[key] = section(user)
    return data


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    data = user_export(request.user)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    stamp = dt.date.today().isoformat()
    response["Content-Disposition"] = f'attachment; filename="dailypapers-{request.user.pk}-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response
