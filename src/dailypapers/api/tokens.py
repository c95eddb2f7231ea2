"""API tokens, made and revoked on the account page."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from dailypapers.api.models import ApiToken
from dailypapers.core.addresses import is_own_page


def account_url() -> str:
    try:
        return reverse("accounts:account")
    except NoReverseMatch:
        return "/account/"


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True, help_text="What it is for, e.g. “reading-group bot”.")


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    return redirect(target if is_own_page(request, target) else account_url())


def issue_within_cap(user, name: str) -> tuple[ApiToken, str] | None:
    """A new token for `user`, or None when they have API_MAX_TOKENS live ones already.

    Counting and issuing happen under one lock per member, so parallel requests cannot all see
    room for one more: PostgreSQL locks the member's row; SQLite's transactions take the write
    lock as they begin (transaction_mode IMMEDIATE in the settings), which serializes them."""
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
        if ApiToken.objects.filter(user=user, revoked_at=None).count() >= settings.API_MAX_TOKENS:
            return None
        return ApiToken.issue(user, name)


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the new token a name (up to 100 characters).")
        return _back(request)
    issued = issue_within_cap(request.user, form.cleaned_data["name"])
    if issued is None:
        messages.error(request, f"You have {settings.API_MAX_TOKENS} tokens already; revoke one first.")
        return _back(request)
    token, raw = issued
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
