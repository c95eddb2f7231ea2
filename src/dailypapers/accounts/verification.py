"""E-mail verification: the signed links that activate a new account or switch it to a new address."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from dailypapers.accounts.models import Profile

log = logging.getLogger("dailypapers.accounts")

SALT = "dailypapers.accounts.verify"


class BadLink(ValueError):
    """A verification link that is expired, tampered with or already used; the message says which."""


# --- E-mail verification ---------------------------------------------------------------------


def make_token(user, email: str, purpose: str) -> str:
    return signing.dumps({"u": user.pk, "e": email, "p": purpose}, salt=SALT, compress=True)


def read_token(token: str) -> tuple[object, str, str]:
    """(user, e-mail, purpose) of a verification token; BadLink when it cannot be used."""
    max_age = settings.VERIFY_HOURS * 3600
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise BadLink(f"This link has expired (links are valid for {settings.VERIFY_HOURS} hours).") from None
    except signing.BadSignature:
        raise BadLink("This link is not valid. Check that it was copied whole.") from None
    user = get_user_model().objects.filter(pk=data.get("u")).first()
    if user is None:
        raise BadLink("The account this link was for no longer exists.")
    return user, data.get("e", ""), data.get("p", "")


def _send(request: HttpRequest, to: str, subject: str, template: str, context: dict) -> bool:
    """Send one message; False (logged) when the mail server cannot take it, so the page can say so."""
    context = {**context, "site_name": settings.SITE_NAME, "hours": settings.VERIFY_HOURS}
    body = render_to_string(template, context, request=request)
    try:
        send_mail(f"[{settings.SITE_NAME}] {subject}", body, settings.DEFAULT_FROM_EMAIL, [to])
    except (smtplib.SMTPException, OSError) as exc:
        log.error("could not send %r to %s: %s", subject, to, exc)
        return False
    return True


def send_signup_verification(request: HttpRequest, user) -> bool:
    link = request.build_absolute_uri(
        reverse("accounts:verify", args=[make_token(user, user.email, "signup")])
    )
    return _send(
        request,
        user.email,
        "Confirm your e-mail address",
        "accounts/email/verify.txt",
        {"user": user, "link": link},
    )


def send_signup_attempt_notice(request: HttpRequest, email: str) -> bool:
    """Tell the owner of `email` that someone tried to sign up with it (the sign-up page does not
    say the address is taken): how to sign in, reset the password or finish their own sign-up."""
    owner = get_user_model().objects.filter(email__iexact=email).order_by("pk").first()
    if owner is None:  # gone in the meantime: nothing to tell
        return True
    links = {
        name: request.build_absolute_uri(reverse(f"accounts:{name}"))
        for name in ("login", "password_reset", "resend")
    }
    return _send(
        request,
        owner.email,
        "Someone tried to sign up with your address",
        "accounts/email/signup_taken.txt",
        {"user": owner, "links": links},
    )


def send_change_verification(request: HttpRequest, user, new_email: str) -> bool:
    link = request.build_absolute_uri(
        reverse("accounts:verify", args=[make_token(user, new_email, "change")])
    )
    return _send(
        request,
        new_email,
        "Confirm your new e-mail address",
        "accounts/email/change.txt",
        {"user": user, "link": link},
    )


@transaction.atomic
def verify(token: str):
    """Apply a verification link: activate a new account, or switch to the new address. Returns the user."""
    user, email, purpose = read_token(token)
    User = get_user_model()
    if purpose == "signup":
        profile = Profile.of(user)
        if profile.email_verified:
            raise BadLink("This address is already confirmed; you can sign in.")
        if user.email.lower() != email.lower():
            raise BadLink("This link is for an address the account no longer uses.")
        profile.email_verified = True
        profile.save(update_fields=["email_verified"])
        user.is_active = True
        user.save(update_fields=["is_active"])
        return user
    if purpose == "change":
        if user.email.lower() == email.lower():
            raise BadLink("Your account already uses this address.")
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise BadLink("Another account has taken this address in the meantime.")
        user.email = email
        user.save(update_fields=["email"])
        return user
    raise BadLink("This link is not valid.")
