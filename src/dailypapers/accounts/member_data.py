"""A member's own data, all of it: downloaded whole, or deleted with the account.

The account and profile are this app's; every other app's part comes through the registry in
core.member_data, where each app says what it keeps and what deleting an account does to it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dailypapers.accounts.models import Profile
from dailypapers.core import member_data
from dailypapers.core.timestamps import iso

log = logging.getLogger("dailypapers.accounts")


def user_export(user: Any) -> dict[str, Any]:
    """The "download all your data" JSON: the account and profile first, then the other apps' parts."""
    profile = member_data.model_rows(Profile.objects.filter(user=user))
    return {
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
        "profile": profile[0] if profile else None,
        **member_data.export(user),
    }


@transaction.atomic
def delete_account(user: Any) -> None:
    """Delete a member as the privacy page says.

    Each app first does what deleting an account does to its data (votes withdrawn, comments
    removed, submissions kept without a submitter: see the providers registered in core.member_data);
    then the user goes, and with it the profile and whatever else is on_delete=CASCADE. Moderators'
    audit entries keep the moderator's name.
    """
    member_data.erase(user)
    username = user.get_username()
    user.delete()
    log.info("account %s deleted at its owner's request", username)
