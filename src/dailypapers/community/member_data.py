"""The community's part of a member's data: their upvotes, comments and authorship claims (deleted
with the account)."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from dailypapers.community.models import AuthorClaim, Comment, Upvote, Watch, WatchMail
from dailypapers.core.timestamps import iso
from dailypapers.papers.models import Paper


def export(user: Any) -> dict[str, Any]:
    votes = Upvote.objects.filter(user=user).select_related("paper").order_by("created_at", "id")
    comments = Comment.objects.filter(author=user).select_related("paper").order_by("created_at", "id")
    return {
        "upvotes": [
            {"paper": vote.paper.arxiv_id, "title": vote.paper.title, "votedAt": iso(vote.created_at)}
            for vote in votes
        ],
        "comments": [
            {
                "id": c.pk,
                "paper": c.paper.arxiv_id,
                "parentId": c.parent_id,
                "body": c.body,
                "createdAt": iso(c.created_at),
                "editedAt": iso(c.edited_at),
                "hiddenByModerator": c.hidden,
            }
            for c in comments
        ],
        "watches": [
            {"paper": w.paper.arxiv_id, "watchedAt": iso(w.created_at)}
            for w in Watch.objects.filter(user=user).select_related("paper").order_by("created_at", "id")
        ],
        "notificationEmail": WatchMail.wanted(user),
        "authorClaims": [
            {
                "paper": claim.paper.arxiv_id,
                "position": claim.position,
                "name": claim.name,
                "status": claim.status,
                "createdAt": iso(claim.created_at),
                "statusChangedAt": iso(claim.status_changed_at),
            }
            for claim in AuthorClaim.objects.filter(user=user)
            .select_related("paper")
            .order_by("created_at", "id")
        ],
    }


def erase(user: Any) -> None:
    """Watches, notifications and the e-mail choice go. Votes are withdrawn (papers' counts go
    down). Comments are deleted; one that others replied to
    stays as "[removed]" with no author and no text, so the replies keep their place."""
    for upvote in Upvote.objects.filter(user=user):
        upvote.delete()
        Paper.objects.filter(pk=upvote.paper_id, upvote_count__gt=0).update(
            upvote_count=F("upvote_count") - 1
        )
    Watch.objects.filter(user=user).delete()
    WatchMail.objects.filter(user=user).delete()
    user.notifications.all().delete()
    # Replies first, so a top-level comment with only the member's own replies goes entirely.
    for comment in Comment.objects.filter(author=user).order_by(F("parent_id").desc(nulls_last=True), "-id"):
        try:
            comment.refresh_from_db()
        except Comment.DoesNotExist:
            continue
        comment.erase()
