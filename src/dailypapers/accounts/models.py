"""A member's profile next to Django's User: public display name, and whether the e-mail is confirmed."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=80, blank=True)
    # Set once the address given at sign-up is confirmed; the account is inactive until then.
    email_verified = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"profile of {self.user}"

    @classmethod
    def of(cls, user) -> Profile:
        """The user's profile, created on first use (accounts made by createsuperuser have none)."""
        profile, _ = cls.objects.get_or_create(user=user, defaults={"email_verified": user.is_active})
        return profile


def display_name(user) -> str:
    """How a member is shown: their display name, else their username."""
    if user is None:
        return ""
    try:
        name = user.profile.display_name
    except Profile.DoesNotExist:
        name = ""
    return name or user.get_username()
