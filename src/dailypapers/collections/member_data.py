"""The collections' part of a member's data: their collections (private ones too) and their votes."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from dailypapers.collections.models import Collection, CollectionUpvote
from dailypapers.core.timestamps import iso


def export(user: Any) -> dict[str, Any]:
    collections = Collection.objects.filter(owner=user).prefetch_related("items__paper")
    votes = CollectionUpvote.objects.filter(user=user).select_related("collection__owner")
    return {
        "collections": [
            {
                "slug": c.slug,
                "title": c.title,
                "description": c.description,
                "private": c.private,
                "hiddenByModerator": c.hidden,
                "createdAt": iso(c.created_at),
                "lastUpdated": iso(c.updated_at),
                "items": [
                    {"paper": i.paper.arxiv_id, "note": i.note, "addedAt": iso(i.added_at)}
                    for i in sorted(c.items.all(), key=lambda i: (i.position, i.pk))
                ],
            }
            for c in collections
        ],
        "collectionUpvotes": [
            {"collection": v.collection.slug, "votedAt": iso(v.created_at)} for v in votes.order_by("id")
        ],
    }


def erase(user: Any) -> None:
    """Votes are withdrawn (their collections' counts go down); the member's collections go with the
    account (their foreign key cascades)."""
    for vote in CollectionUpvote.objects.filter(user=user):
        vote.delete()
        Collection.objects.filter(pk=vote.collection_id, upvote_count__gt=0).update(
            upvote_count=F("upvote_count") - 1
        )
