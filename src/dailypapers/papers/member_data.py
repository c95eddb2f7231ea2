"""The catalogue's part of a member's data: the papers they submitted to the feed, and the
organisations they belong to."""

from __future__ import annotations

from typing import Any

from dailypapers.core.timestamps import iso
from dailypapers.papers.models import Listing, Membership


def export(user: Any) -> dict[str, Any]:
    listings = Listing.objects.filter(submitted_by=user).select_related("paper").order_by("day", "id")
    return {
        "submissions": [
            {
                "paper": listing.paper.arxiv_id,
                "title": listing.paper.title,
                "day": listing.day.isoformat(),
                "submittedAt": iso(listing.submitted_at),
                "note": listing.note,
                "hidden": listing.hidden,
            }
            for listing in listings
        ],
        "organizations": [
            {"name": m.organization.name, "role": m.role, "joinedAt": iso(m.joined_at)}
            for m in Membership.objects.filter(user=user).select_related("organization").order_by("id")
        ],
    }


def erase(user: Any) -> None:
    """Papers the member submitted stay on the feed, with no submitter shown."""
    Listing.objects.filter(submitted_by=user).update(
        submitted_by=None, submitter_name="", submitter_fullname=""
    )
