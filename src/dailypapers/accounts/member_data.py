"""A member's own data: deleting the account."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F

log = logging.getLogger("dailypapers.accounts")


@transaction.atomic
def delete_account(user) -> None:
    """Delete a member as the privacy page says.

    Votes are withdrawn (papers' counts go down). Comments are deleted; one that others replied to
    stays as "[removed]" with no author and no text, so the replies keep their place. Papers the
    member submitted stay on the feed with no submitter shown. Moderators' audit entries keep the
    moderator's name.
    """
    from dailypapers.community.models import Comment, Upvote
    from dailypapers.papers.models import Listing, Paper

    for upvote in Upvote.objects.filter(user=user):
        upvote.delete()
        Paper.objects.filter(pk=upvote.paper_id, upvote_count__gt=0).update(
            upvote_count=F("upvote_count") - 1
        )
    # Replies first, so a top-level comment with only the member's own replies goes entirely.
    for comment in Comment.objects.filter(author=user).order_by(F("parent_id").desc(nulls_last=True), "-id"):
        try:
            comment.refresh_from_db()
        except Comment.DoesNotExist:
            continue
        comment.erase()
    Listing.objects.filter(submitted_by=user).update(
        submitted_by=None, submitter_name="", submitter_fullname=""
    )
    username = user.get_username()
    user.delete()
    log.info("account %s deleted at its owner's request", username)
