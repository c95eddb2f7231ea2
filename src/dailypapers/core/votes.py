"""Votes kept with a counter on what they are for (a paper's upvotes, a collection's): one place for
the rule that makes them exact under concurrency."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F


def toggle_counted(
    vote: type[models.Model], target: models.Model, on: bool | None, field: str, user: Any
) -> tuple[bool, int]:
    """Vote (on=True), unvote (on=False) or flip (None) `user`'s `vote` row for `target` (named by the
    vote's foreign key `field`); returns (voted now?, the target's upvote_count), also set on it.

    The vote's unique constraint decides which of two racing votes counts, and the counter moves only
    by the row actually inserted or deleted, with a conditional UPDATE."""
    key = {"user": user, field: target}
    counter = type(target).objects.filter(pk=target.pk)
    with transaction.atomic():
        if on is None:
            on = not vote.objects.filter(**key).exists()
        if on:
            try:
                with transaction.atomic():  # a savepoint: a lost race leaves the outer transaction usable
                    vote.objects.create(**key)
            except IntegrityError:
                pass  # already voted: nothing changes
            else:
                counter.update(upvote_count=F("upvote_count") + 1)
        else:
            deleted, _ = vote.objects.filter(**key).delete()
            if deleted:
                counter.filter(upvote_count__gt=0).update(upvote_count=F("upvote_count") - 1)
        count = counter.values_list("upvote_count", flat=True).get()
    target.upvote_count = count
    return on, count
