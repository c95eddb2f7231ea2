"""The digests' part of a member's data: their subscriptions."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from dailypapers.core.member_data import model_rows
from dailypapers.digests.models import Subscription


def export(user: Any) -> dict[str, Any]:
    """The member's own subscriptions, and any made for their address while signed out."""
    mine = Q(user=user)
    if user.email:
        mine |= Q(email__iexact=user.email)
    return {"digestSubscriptions": model_rows(Subscription.objects.filter(mine).order_by("pk"))}


# No erase: a subscription belongs to its address (confirmed by e-mail, ended by its own unsubscribe
# link), so deleting the account only unlinks it (Subscription.user is on_delete=SET_NULL).
