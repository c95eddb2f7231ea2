"""Signals given outside this app that change what a member's model learns from: upvotes (their own,
and those of the members who follow them, for whom they are weak positives)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from dailypapers.recommend.models import Follow, Taste


def upvote_changed(sender: type, instance: Any, created: bool = True, **kwargs: Any) -> None:
    """post_save / post_delete of community.Upvote: the voter's taste, and their followers', are due
    for retraining once the vote commits."""
    if kwargs.get("raw") or not created:  # a fixture load, or an upvote row saved again unchanged
        return
    user_id = instance.user_id

    # A named function, not a functools.partial: Django logs a failed robust hook by its
    # __qualname__, and a partial has none (the logging would raise, turning a lost mark into a 500).
    def mark_due() -> None:
        _mark_due(user_id)

    transaction.on_commit(mark_due, robust=True)


def _mark_due(user_id: int) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).only("pk", "username").first()
    if user is None:
        return
    now = timezone.now()
    Taste.signals_changed(user, now)
    followers = Follow.objects.filter(kind=Follow.Kind.MEMBER, target__iexact=user.get_username())
    Taste.objects.filter(user__in=followers.values("user")).update(signals_changed_at=now)
