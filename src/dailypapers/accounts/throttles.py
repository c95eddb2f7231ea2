"""Sign-in and sign-up limits (counted by dailypapers.core.limits, exact across server processes)."""

from __future__ import annotations

from django.conf import settings

from dailypapers.core.limits import Limit


def login_limits() -> tuple[Limit, Limit]:
    """(per account name, per client address) counts of failed sign-ins."""
    return (
        Limit("login-account", settings.LOGIN_RATE),
        Limit("login-address", settings.LOGIN_RATE_PER_ADDRESS),
    )


def signup_limit() -> Limit:
    """Sign-ups (and confirmation e-mails sent again) per client address."""
    return Limit("signup", settings.SIGNUP_RATE)
