"""Subscribe, confirm, manage and unsubscribe; no account needed (signed links)."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import BadHeaderError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from dailypapers.core.clients import client_ip
from dailypapers.core.limits import Limit
from dailypapers.digests.compose import confirmation_message
from dailypapers.digests.forms import SettingsForm, SubscribeForm
from dailypapers.digests.models import Subscription
from dailypapers.digests.saved_searches import search_available
from dailypapers.digests.tokens import make_token, read_token

log = logging.getLogger("dailypapers.digests")


def _page(request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200):
    return render(request, f"digests/{template}", context or {}, status=status)


def _bad_link(request: HttpRequest) -> HttpResponse:
    return _page(request, "bad_link.html", {"form": SubscribeForm()}, status=404)


def _rate_limited(request: HttpRequest) -> int:
    """Count a subscribe request against the client's allowance; when it is spent, the seconds
    until it is whole again, else 0."""
    usage = Limit("digest-subscribe", settings.DIGEST_SUBSCRIBE_RATE).hit(client_ip(request))
    return 0 if usage.allowed else usage.retry_after


def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("digests:home")
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return _page(request, "subscribe_error.html", {"form": form}, status=400)
    if wait := _rate_limited(request):
        response = _page(request, "rate_limited.html", status=429)
        response["Retry-After"] = str(wait)
        return response
    email = form.cleaned_data["email"]
    subscription = _pending_subscription(request, email)
    if _own_verified_address(request.user, email):
        # The member proved this address when they signed up (or changed it): no second proof needed.
        subscription.confirm()
        return _confirmed(request, subscription)
    return _send_confirmation(request, subscription, form)


def _own_verified_address(user, email: str) -> bool:
    """Whether a signed-in member gives their account's address, and that address is confirmed.

    Accounts records the confirmation on the member's profile; digests stands beside accounts and
    does not import it, so the ORM relation (`profile`) asks instead."""
    if not user.is_authenticated or (user.email or "").strip().lower() != email.strip().lower():
        return False
    return get_user_model().objects.filter(pk=user.pk, profile__email_verified=True).exists()


def _send_confirmation(request: HttpRequest, subscription: Subscription, form) -> HttpResponse:
    """Mail the confirmation (or, for an active subscription, its settings link) and say so."""
    recently = subscription.confirmation_sent_at and (
        (timezone.now() - subscription.confirmation_sent_at).total_seconds() < settings.DIGEST_CONFIRM_RESEND
    )
    if not recently:
        try:
            confirmation_message(subscription).send(fail_silently=False)
        except (smtplib.SMTPException, OSError, BadHeaderError) as exc:
            # The subscription stays (pending): the reader can try again from the error page.
            log.error(
                "digests: confirmation to %s not sent: %s: %s", subscription.email, type(exc).__name__, exc
            )
            return _page(request, "mail_down.html", {"email": subscription.email, "form": form}, status=503)
        Subscription.objects.filter(pk=subscription.pk).update(confirmation_sent_at=timezone.now())
    # The same answer whatever the address's state, so the page does not tell who is subscribed.
    return _page(request, "check_inbox.html", {"email": subscription.email})


@require_http_methods(["POST"])
def change_address(request: HttpRequest, token: str) -> HttpResponse:
    """Move a subscription to another address: it waits for the new address's confirmation, and
    every link made for the old address stops working (links are bound to the address)."""
    subscription = read_token(token, "manage")
    if subscription is None:
        return _bad_link(request)
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return _page(request, "subscribe_error.html", {"form": form}, status=400)
    email = form.cleaned_data["email"]
    if email.lower() != subscription.email.lower():
        if Subscription.objects.for_address(email).exclude(pk=subscription.pk).exists():
            form.add_error("email", "That address has a digest of its own; manage it from its own e-mails.")
            return _page(request, "subscribe_error.html", {"form": form}, status=400)
        try:
            with transaction.atomic():
                subscription.email = email
                subscription.status = Subscription.Status.PENDING
                subscription.next_due = None
                subscription.confirmation_sent_at = None
                subscription.save(update_fields=["email", "status", "next_due", "confirmation_sent_at"])
        except IntegrityError:
            form.add_error("email", "That address has a digest of its own; manage it from its own e-mails.")
            return _page(request, "subscribe_error.html", {"form": form}, status=400)
    return _send_confirmation(request, subscription, form)


def _pending_subscription(request: HttpRequest, email: str) -> Subscription:
    user = request.user if request.user.is_authenticated else None
    for _ in range(3):  # two requests for a new address at once: one insert wins, the other reads it
        subscription = Subscription.objects.for_address(email).first()
        if subscription is None:
            try:
                with transaction.atomic():
                    return Subscription.objects.create(email=email, user=user)
            except IntegrityError:
                continue
        changed = []
        if subscription.status in (Subscription.Status.UNSUBSCRIBED, Subscription.Status.BOUNCED):
            subscription.status = Subscription.Status.PENDING
            changed.append("status")
        if user and subscription.user_id is None and user.email.lower() == email.lower():
            subscription.user = user
            changed.append("user")
        if changed:
            subscription.save(update_fields=changed)
        return subscription
    raise RuntimeError("could not create the subscription")


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the confirmation e-mail. A GET only shows a button (mail scanners fetch links,
    and must not subscribe anyone); pressing it POSTs here, with a CSRF token, and confirms."""
    subscription = read_token(token, "confirm")
    if subscription is None:
        return _bad_link(request)
    if request.method == "GET" and subscription.status != Subscription.Status.ACTIVE:
        return _page(request, "confirm.html", {"subscription": subscription, "token": token})
    subscription.confirm()
    return _confirmed(request, subscription)


def _confirmed(request: HttpRequest, subscription: Subscription) -> HttpResponse:
    return _page(
        request,
        "confirmed.html",
        {
            "subscription": subscription,
            "manage_url": reverse("digests:manage", args=[make_token(subscription, "manage")]),
        },
    )


def _settings_page(request: HttpRequest, subscription: Subscription, token: str | None) -> HttpResponse:
    search = search_available()
    saved = False
    if request.method == "POST":
        form = SettingsForm(request.POST, instance=subscription, search_available=search)
        if form.is_valid():
            with transaction.atomic():
                subscription = form.save(commit=False)
                if "frequency" in form.changed_data:
                    subscription.reschedule()
                subscription.save()
            saved = True
    else:
        form = SettingsForm(instance=subscription, search_available=search)
    unsubscribe_url = reverse("digests:unsubscribe", args=[make_token(subscription, "unsubscribe")])
    return _page(
        request,
        "manage.html",
        {
            "subscription": subscription,
            "form": form,
            "saved": saved,
            "token": token,
            "unsubscribe_url": unsubscribe_url,
            "manage_token": token or make_token(subscription, "manage"),
            "subscribe_form": SubscribeForm(initial={"email": subscription.email}),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    subscription = read_token(token, "manage")
    if subscription is None:
        return _bad_link(request)
    return _settings_page(request, subscription, token)


@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """/digests/: a signed-in reader's own digest; otherwise how to subscribe."""
    subscription = account_subscription(request.user)
    if subscription is not None:
        return _settings_page(request, subscription, None)
    if request.method == "POST":
        return HttpResponseNotAllowed(["GET"])
    initial = {"email": request.user.email} if request.user.is_authenticated else {}
    return _page(request, "home.html", {"form": SubscribeForm(initial=initial)})


def account_subscription(user) -> Subscription | None:
    """The subscription a signed-in member manages from their account: the one they made."""
    if not user.is_authenticated:
        return None
    return Subscription.objects.filter(user=user).order_by("-created_at").first()


# RFC 8058 one-click unsubscribe: mail clients POST "List-Unsubscribe=One-Click" to the URL in the
# List-Unsubscribe header, with no cookies and no CSRF token (they cannot have one). So this view
# must be csrf_exempt. That is safe here: the signed token in the URL is the authorisation (a
# forger would need it), and unsubscribing is idempotent and harmless to repeat. A GET never
# unsubscribes (link scanners fetch links): it shows a page whose button POSTs here.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscription = read_token(token, "unsubscribe")
    if subscription is None:
        return _bad_link(request)
    if request.method == "GET":
        return _page(request, "unsubscribe.html", {"subscription": subscription, "token": token})
    subscription.unsubscribe()
    return _page(
        request,
        "unsubscribed.html",
        {"subscription": subscription, "form": SubscribeForm(initial={"email": subscription.email})},
    )
