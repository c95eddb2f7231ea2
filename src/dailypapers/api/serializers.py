"""Papers, feed items and comments as JSON, with Hugging Face's field names and shapes.

"upvotes" and "numComments" are what the site shows: this site's own votes and comments plus the
ones imported from Hugging Face (Paper.total_votes / total_comments); "upvotesHere" and
"importedUpvotes" give the two parts apart.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dailypapers.community.models import claim_at
from dailypapers.core.timestamps import iso
from dailypapers.papers.models import Listing, Paper

# Hugging Face's status of an author whose claim its staff verified.
CLAIMED = "claimed_verified"


# A user object as Hugging Face sends one; `user` is what huggingface_hub reads as the username.
def user_json(username: str, fullname: str = "", source: dict | None = None) -> dict[str, Any] | None:
    """A user object; `source` is the object the imported site sent, whose values (avatarUrl, isPro,
    followerCount, ...) are kept as they came."""
    if not username and not source:
        return None
    ours = {
        "_id": username,
        "user": username,
        "name": username,
        "fullname": fullname or username,
        "avatarUrl": "",
        "type": "user",
        "isPro": False,
    }
    return {**ours, **source} if source else ours


def listing_submitter(listing: Listing, key: str = "submittedBy") -> dict[str, Any] | None:
    """Who put the listing on the feed: a member here, or the imported site's object (`key` is
    which: the item's submittedBy or the paper's submittedOnDailyBy, which differ in shape)."""
    if listing.submitted_by_id:
        user = listing.submitted_by
        return user_json(user.get_username(), user.get_full_name())
    source = listing.source_details.get(key) or listing.source_details.get("submittedBy")
    return user_json(listing.submitter_name, listing.submitter_fullname, source)


_ALWAYS = {"publishedAt", "title", "summary"}


def _without_empty(data: dict[str, Any]) -> dict[str, Any]:
    """Leave out optional keys with no value, as Hugging Face does, rather than sending null."""
    return {k: v for k, v in data.items() if k in _ALWAYS or (v is not None and v != [])}


def author_json(paper: Paper, authorship) -> dict[str, Any]:
    """An author as Hugging Face gives one. A member's approved claim here fills `user` and
    `status`; otherwise what the import brought stays as it came."""
    details = authorship.details
    claimed = {key: details[key] for key in ("user", "status", "statusLastChangedAt") if key in details}
    claim = claim_at(paper, authorship.position, authorship.author.key)
    if claim is not None:
        user = claim.user
        claimed = {
            "user": user_json(user.get_username(), user.get_full_name()),
            "status": CLAIMED,
            "statusLastChangedAt": iso(claim.status_changed_at),
        }
    return {
        "_id": details.get("_id") or f"{paper.arxiv_id}-{authorship.position}",
        **claimed,
        "name": authorship.name,
        "hidden": bool(details.get("hidden", False)),
    }


def listing_votes(paper: Paper, listing: Listing | None) -> int:
    """The paper's votes as of a listing: this site's own plus the imported site's on that day."""
    imported = listing.imported_upvotes if listing is not None else None
    return paper.upvote_count + (paper.imported_upvotes if imported is None else imported)


def listing_comments(paper: Paper, listing: Listing | None) -> int:
    imported = listing.imported_comments if listing is not None else None
    return paper.comment_count + (paper.imported_comments if imported is None else imported)


def paper_json(
    paper: Paper, request: HttpRequest, listing: Listing | None = None, as_of_listing: bool = False
) -> dict[str, Any]:
    """A paper object (`/api/papers/{id}`, and the `paper` of a daily item).

    `listing` is the feed appearance to report as submittedOnDailyAt/By; by default the paper's
    first visible one. With `as_of_listing`, the figures are that day's (a daily item), not the
    latest.
    """
    if listing is None:
        listing = _first_listing(paper)
    figures_of = listing if as_of_listing else None
    categories = [c.code for c in paper.categories.all()]
    data: dict[str, Any] = {
        "id": paper.arxiv_id,
        "authors": [author_json(paper, a) for a in paper.authorships.all()],
        "publishedAt": iso(paper.published_at),
        "updatedAt": iso(paper.updated_at),
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": listing_votes(paper, figures_of),
        "upvotesHere": paper.upvote_count,
        "importedUpvotes": listing_votes(paper, figures_of) - paper.upvote_count,
        "numComments": listing_comments(paper, figures_of),
        "discussionId": paper.arxiv_id,
        "projectPage": paper.project_page or None,
        "githubRepo": paper.github_repo or None,
        "githubStars": paper.github_stars,
        "ai_summary": paper.ai_summary or None,
        "ai_keywords": list(paper.ai_keywords or []),
        "thumbnail": thumbnail_json(paper, request),
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
        data["submittedOnDailyBy"] = listing_submitter(listing, "submittedOnDailyBy")
    data = {**_without_empty(data), **paper.source_details}
    if listing is not None and listing.organization_id is not None:
        data["organization"] = organization_json(listing)
    return data


def organization_json(listing: Listing) -> dict[str, Any]:
    """The organisation a listing was submitted for, in Hugging Face's shape: ours (papers.Organization),
    except that an imported listing keeps the object its source sent that day (an organisation's
    avatar changes over time; the archive's items carry the one of their day)."""
    org = listing.organization
    sent = listing.source_details.get("organization")
    if isinstance(sent, dict) and sent.get("name") == org.name:
        return sent
    return org.as_hf()


def thumbnail_json(paper: Paper, request: HttpRequest) -> str | None:
    """Our render of the first page, as an absolute address, once the thumbnail worker made one;
    until then the thumbnail imported with the paper (Hugging Face's, on its CDN), or null. Never
    the generated cover: clients of Hugging Face's API expect a raster image or nothing."""
    if paper.thumbnail_key:
        return request.build_absolute_uri(paper.thumbnail_url)
    return paper.thumbnail or None


def _first_listing(paper: Paper) -> Listing | None:
    if hasattr(paper, "visible_listings"):
        return paper.visible_listings[0] if paper.visible_listings else None
    return (
        paper.listings.visible().select_related("submitted_by", "organization").order_by("day", "id").first()
    )


# Hugging Face nests these in `paper`, but huggingface_hub's PaperInfo reads them from the top level of
# a feed item (so they come out empty from Hugging Face); we send both, so the client gets them.
_LIFTED = ("githubRepo", "githubStars", "projectPage", "ai_summary", "ai_keywords")


def daily_item_json(listing: Listing, request: HttpRequest) -> dict[str, Any]:
    """One item of `/api/daily_papers`, with the figures of its day and the moment it was listed."""
    paper = listing.paper
    data = paper_json(paper, request, listing, as_of_listing=True)
    details = listing.source_details
    item = {
        "paper": data,
        **{key: data[key] for key in _LIFTED if key in data},
        "publishedAt": iso(listing.listed_at or listing.submitted_at or listing.day),
        "title": listing.title or paper.title_line,
        "summary": paper.abstract,
        "thumbnail": thumbnail_json(paper, request),
        "numComments": data["numComments"],
        "submittedBy": listing_submitter(listing),
        "isAuthorParticipating": False,
        "note": listing.note or None,
        "listingSource": listing.source,
    }
    as_imported = {k: v for k, v in details.items() if k not in ("submittedBy", "submittedOnDailyBy")}
    item = {**_without_empty(item), **as_imported}
    if listing.organization_id is not None:
        item["organization"] = organization_json(listing)
    return item


def search_item_json(paper: Paper, request: HttpRequest, score: float | None = None) -> dict[str, Any]:
    """A search result: shaped like a daily item, its publishedAt the paper's own date."""
    listing = _first_listing(paper)
    data = paper_json(paper, request, listing)
    item = {
        "paper": data,
        **{key: data[key] for key in _LIFTED if key in data},
        "publishedAt": iso(paper.published_at),
        "title": paper.title_line,
        "summary": paper.abstract,
        "thumbnail": thumbnail_json(paper, request),
        "numComments": paper.total_comments,
        "submittedBy": listing_submitter(listing) if listing else None,
        "isAuthorParticipating": False,
    }
    if score is not None:
        item["score"] = round(float(score), 6)
    return _without_empty(item)
