"""Papers, feed items and comments as JSON, with Hugging Face's field names and shapes.

"upvotes" and "numComments" are what the site shows: this site's own votes and comments plus the
ones imported from Hugging Face (Paper.total_votes / total_comments); "upvotesHere" and
"importedUpvotes" give the two parts apart.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dailypapers.core.timestamps import iso
from dailypapers.papers.models import Listing, Paper

# A user object as Hugging Face sends one; `user` is what huggingface_hub reads as the username.
_AVATAR = ""


def user_json(username: str, fullname: str = "") -> dict[str, Any] | None:
    if not username:
        return None
    return {
        "_id": username,
        "user": username,
        "name": username,
        "fullname": fullname or username,
        "avatarUrl": _AVATAR,
        "type": "user",
        "isPro": False,
    }


def listing_submitter(listing: Listing) -> dict[str, Any] | None:
    if listing.submitted_by_id:
        user = listing.submitted_by
        return user_json(user.get_username(), user.get_full_name())
    return user_json(listing.submitter_name, listing.submitter_fullname)


def paper_json(paper: Paper, request: HttpRequest, listing: Listing | None = None) -> dict[str, Any]:
    """A paper object (`/api/papers/{id}`, and the `paper` of a daily item).

    `listing` is the feed appearance to report as submittedOnDailyAt/By; by default the paper's
    first visible one.
    """
    if listing is None:
        listing = _first_listing(paper)
    categories = [c.code for c in paper.categories.all()]
    data: dict[str, Any] = {
        "id": paper.arxiv_id,
        "authors": [
            {"_id": f"{paper.arxiv_id}-{a.position}", "name": a.author.name, "hidden": False}
            for a in paper.authorships.all()
        ],
        "publishedAt": iso(paper.published_at),
        "updatedAt": iso(paper.updated_at),
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": paper.total_votes,
        "upvotesHere": paper.upvote_count,
        "importedUpvotes": paper.imported_upvotes,
        "numComments": paper.total_comments,
        "discussionId": paper.arxiv_id,
        "projectPage": paper.project_page or None,
        "githubRepo": paper.github_repo or None,
        "githubStars": paper.github_stars,
        "ai_summary": paper.ai_summary or None,
        "ai_keywords": list(paper.ai_keywords or []),
        "thumbnail": paper.thumbnail or None,
        "primaryCategory": paper.primary_category_id,
        "categories": categories,
        "doi": paper.doi or None,
        "withdrawn": paper.withdrawn,
        "url": request.build_absolute_uri(paper.get_absolute_url()),
        "arxivUrl": paper.abs_url,
        "pdfUrl": paper.pdf_url,
    }
    if listing is not None:
        data["submittedOnDailyAt"] = iso(listing.submitted_at or listing.day)
        data["submittedOnDailyBy"] = listing_submitter(listing)
    return data


def _first_listing(paper: Paper) -> Listing | None:
    if hasattr(paper, "visible_listings"):
        return paper.visible_listings[0] if paper.visible_listings else None
    return paper.listings.visible().select_related("submitted_by").order_by("day", "id").first()


# Hugging Face nests these in `paper`, but huggingface_hub's PaperInfo reads them from the top level of
# a feed item (so they come out empty from Hugging Face); we send both, so the client gets them.
_LIFTED = ("githubRepo", "githubStars", "projectPage", "ai_summary", "ai_keywords")


def daily_item_json(listing: Listing, request: HttpRequest) -> dict[str, Any]:
    """One item of `/api/daily_papers`: publishedAt is the feed day the paper was listed on."""
    paper = listing.paper
    data = paper_json(paper, request, listing)
    return {
        "paper": data,
        **{key: data[key] for key in _LIFTED},
        "publishedAt": iso(listing.day),
        "title": paper.title,
        "summary": paper.abstract,
        "thumbnail": paper.thumbnail or None,
        "numComments": paper.total_comments,
        "submittedBy": listing_submitter(listing),
        "isAuthorParticipating": False,
        "note": listing.note or None,
        "listingSource": listing.source,
    }


def search_item_json(paper: Paper, request: HttpRequest, score: float | None = None) -> dict[str, Any]:
    """A search result: shaped like a daily item, its publishedAt the paper's own date."""
    listing = _first_listing(paper)
    data = paper_json(paper, request, listing)
    item = {
        "paper": data,
        **{key: data[key] for key in _LIFTED},
        "publishedAt": iso(paper.published_at),
        "title": paper.title,
        "summary": paper.abstract,
        "thumbnail": paper.thumbnail or None,
        "numComments": paper.total_comments,
        "submittedBy": listing_submitter(listing) if listing else None,
        "isAuthorParticipating": False,
    }
    if score is not None:
        item["score"] = round(float(score), 6)
    return item
