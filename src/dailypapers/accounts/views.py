"""Sign-up, sign-in, the account page, the data download and account deletion. Django's auth views do
the heavy lifting."""

from __future__ import annotations

import datetime as dt
import logging
import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods

from dailypapers.accounts import backends, member_data, throttles, verification
from dailypapers.accounts.forms import (
    ChangeEmailForm,
    DeleteAccountForm,
    ProfileForm,
    ResendForm,
    SignInForm,
    SignUpForm,
)
from dailypapers.accounts.models import Profile
from dailypapers.core.clients import client_ip

log = logging.getLogger("dailypapers.accounts")
User = get_user_model()


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:account")
    limit, ip = throttles.signup_limit(), client_ip(request)
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        # Every attempt counts, refused forms too (each one could test an address or a name), and
        # counting before checking keeps the limit exact when many arrive at once.
        usage = limit.hit(ip)
        if not usage.allowed:
            form.add_error(
                None, "Too many accounts were made from your network in the last hour. Try again later."
            )
            response = render(request, "accounts/signup.html", {"form": form}, status=429)
            response["Retry-After"] = str(usage.retry_after)
            return response
        if form.is_valid():
            email = form.cleaned_data["email"]
            # The same answer whether or not the address has an account: its owner is told by e-mail.
            # Both ways hash the password once, so the time taken does not tell either.
            if form.email_taken:
                make_password(form.cleaned_data["password1"])
                sent = verification.send_signup_attempt_notice(request, email)
            else:
                sent = verification.send_signup_verification(request, form.save())
            request.session["verify_email"] = email
            request.session["verify_mail_failed"] = not sent
            return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


def signup_sent(request: HttpRequest) -> HttpResponse:
    context = {
        "email": request.session.get("verify_email", ""),
        "mail_failed": request.session.pop("verify_mail_failed", False),
    }
    return render(request, "accounts/signup_sent.html", context)


def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Follow a link from an e-mail. GET shows a button; POST applies it (mail scanners only GET links)."""
    try:
        user, email, purpose = verification.read_token(token)
    except verification.BadLink as exc:
        return render(request, "accounts/verify.html", {"error": str(exc)}, status=400)
    if request.method == "POST":
        try:
            user = verification.verify(token)
        except verification.BadLink as exc:
            return render(request, "accounts/verify.html", {"error": str(exc)}, status=400)
        if purpose == "signup":
            login(request, user, backend=backends.PATH)
            messages.success(request, f"Welcome, {user.get_username()}! Your e-mail address is confirmed.")
            return redirect("front:home")
        messages.success(request, f"Your account now uses {email}.")
        return redirect("accounts:account")
    return render(request, "accounts/verify.html", {"email": email, "purpose": purpose, "token": token})


@require_http_methods(["GET", "POST"])
def resend(request: HttpRequest) -> HttpResponse:
    form = ResendForm(request.POST or None, initial={"email": request.session.get("verify_email", "")})
    if request.method == "POST" and form.is_valid():
        limit, ip = throttles.signup_limit(), client_ip(request)
        email = form.cleaned_data["email"]
        # Counted before anything is sent, so the allowance holds when requests arrive at once.
        if not limit.blocked(ip) and limit.hit(email).allowed:
            user = User.objects.filter(email__iexact=email, is_active=False).first()
            if user is not None and not Profile.objects.filter(user=user, email_verified=True).exists():
                verification.send_signup_verification(request, user)
        # The same answer whether or not there is such an account: addresses are not disclosed.
        request.session["verify_email"] = email
        request.session.pop("verify_mail_failed", None)
        return redirect("accounts:signup_sent")
    return render(request, "accounts/resend.html", {"form": form})


class LoginView(auth_views.LoginView):
    """Django's sign-in, refusing after too many failures per account name or per client address."""

    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        self._name, self._address = request.POST.get("username", "").strip(), client_ip(request)
        # Each attempt takes its place in both allowances before the password is checked (a check
        # made first would let parallel guesses all pass it); a right password gives it back.
        by_name, by_address = throttles.login_limits()
        spent = [
            usage for usage in (by_name.hit(self._name), by_address.hit(self._address)) if not usage.allowed
        ]
        if spent:
            wait = max(usage.retry_after for usage in spent)
            minutes = math.ceil(wait / 60)
            context = self.get_context_data(
                form=self.form_class(request),
                throttled=f"Too many failed sign-in attempts. Please wait {minutes} "
                f"minute{'s' if minutes != 1 else ''}, or reset your password.",
            )
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        log.info("failed sign-in for %r from %s", self._name[:150], self._address)
        return super().form_invalid(form)

    def form_valid(self, form):
        by_name, by_address = throttles.login_limits()
        by_name.reset(self._name)
        by_address.give_back(self._address)
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    template_name = "accounts/logged_out.html"


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    extra_email_context = {"site_name": settings.SITE_NAME}


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    profile = Profile.of(request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("accounts:account")
    return render(request, "accounts/account.html", {"profile_form": form, "profile": profile})


@login_required
@require_http_methods(["GET", "POST"])
def change_email(request: HttpRequest) -> HttpResponse:
    form = ChangeEmailForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not verification.send_change_verification(request, request.user, form.cleaned_data["email"]):
            form.add_error(
                None, "The confirmation e-mail could not be sent just now; please try again later."
            )
            return render(request, "accounts/change_email.html", {"form": form}, status=503)
        messages.info(
            request,
            f"We sent a link to {form.cleaned_data['email']}. Your account keeps its current address until "
            "you follow it.",
        )
        return redirect("accounts:account")
    return render(request, "accounts/change_email.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def change_password(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)  # stay signed in here; other sessions end
        messages.success(request, "Your password is changed.")
        return redirect("accounts:account")
    return render(request, "accounts/change_password.html", {"form": form})


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """Download all your data, as JSON."""
    data = member_data.user_export(request.user)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    stamp = dt.date.today().isoformat()
    response["Content-Disposition"] = f'attachment; filename="dailypapers-{request.user.pk}-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        member_data.delete_account(user)
        messages.success(request, "Your account is deleted. Thank you for taking part.")
        return redirect("front:home")
    return render(request, "accounts/delete.html", {"form": form})


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/privacy.html", {"verify_hours": settings.VERIFY_HOURS})
