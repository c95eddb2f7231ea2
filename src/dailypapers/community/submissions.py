"""Members put papers on today's feed: `submit_paper` applies the rules; the page and the API call it.

The rules, each a setting (see settings.py and README "Community"):
- the text is an arXiv id or arXiv URL, and the paper exists (in the catalogue, or on arXiv when
  SUBMIT_FETCH_FROM_ARXIV; what arXiv returns enters the catalogue through sources.ingest.upsert);
- the paper is not already on the feed (SUBMIT_RELIST_AFTER_DAYS: 0 = never twice, else after N days);
- its first version is at most SUBMIT_MAX_AGE_DAYS old (0 = any age);
- the member has made fewer than SUBMIT_PER_DAY submissions this feed day;
- with SUBMIT_REQUIRES_CLAIM, the member is one of its authors (an approved AuthorClaim) or a moderator.

A member may submit on behalf of one of their organisations (papers.Membership).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone

from dailypapers.community.models import AuthorClaim
from dailypapers.papers import code_links
from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.papers.models import Listing, Membership, Organization, Paper
from dailypapers.papers.periods import feed_day, feed_time
from dailypapers.papers.signals import catalogue_changed_on_commit

log = logging.getLogger("dailypapers.community")

NOTE_MAX_LENGTH = 2000


class SubmissionRefused(ValueError):
    """A submission broke a rule; str(exc) is the message for the member."""

    def __init__(self, message: str, code: str = "refused", retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retry_after = retry_after  # seconds until the rule allows it, for a limit


def clean_link(value: str, *, github: bool = False) -> str:
    """A submitter's link: an http(s) URL (a GitHub repository when github=True); SubmissionRefused if not."""
    value = (value or "").strip()
    if not value:
        return ""
    what = "The GitHub repository" if github else "The project page"
    if len(value) > 500:
        raise SubmissionRefused(f"{what} address is too long (500 characters at most).", "bad_link")
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        raise SubmissionRefused(f"{what} must be a web address starting with https://.", "bad_link") from None
    if github:
        parts = urlsplit(value)
        path = [p for p in parts.path.split("/") if p]
        if parts.hostname not in {"github.com", "www.github.com"} or len(path) < 2:
            raise SubmissionRefused(
                "The GitHub repository must look like https://github.com/owner/repository.", "bad_link"
            )
        value = f"https://github.com/{path[0]}/{path[1].removesuffix('.git')}"
    return value


def find_paper(text: str) -> Paper:
    """The catalogued paper that `text` names, fetched from arXiv if need be; SubmissionRefused if none."""
    ref = parse_arxiv_id((text or "").strip())
    if ref is None:
        raise SubmissionRefused(
            "That is not an arXiv id or arXiv link. Paste an id such as 2401.12345 or a link such as "
            "https://arxiv.org/abs/2401.12345.",
            "not_an_id",
        )
    paper = Paper.objects.by_ref(ref)
    if paper is None and settings.SUBMIT_FETCH_FROM_ARXIV:
        from dailypapers.sources import arxiv_api
        from dailypapers.sources.fetching import Fetcher, SourceError
        from dailypapers.sources.ingest import upsert

        # A member is waiting: one quick retry, not the harvesters' patient backoff.
        fetcher = Fetcher(retries=1, backoff=1, max_wait=10, timeout=20)
        try:
            record = arxiv_api.fetch_paper(fetcher, ref.id)
        except SourceError as exc:
            log.warning("submission of %s: arXiv lookup failed: %s", ref.id, exc)
            raise SubmissionRefused(
                f"arXiv could not be reached to look up {ref.id}; please try again in a few minutes.",
                "unreachable",
            ) from None
        finally:
            fetcher.close()
        if record is not None:
            upsert([record])
            paper = Paper.objects.by_ref(ref)
    if paper is None:
        raise SubmissionRefused(f"There is no arXiv paper {ref.id}.", "not_found")
    return paper


def check_rules(user, paper: Paper, day: dt.date, now: dt.datetime) -> None:
    if paper.hidden:
        raise SubmissionRefused(f"arXiv:{paper.arxiv_id} cannot be submitted here.", "hidden")
    if (
        settings.SUBMIT_REQUIRES_CLAIM
        and not user.is_staff
        and not AuthorClaim.objects.approved().filter(user=user, paper=paper).exists()
    ):
        raise SubmissionRefused(
            f"Only the authors of “{paper.title}” can submit it here. If you are one of them, claim "
            "your authorship on the paper’s page (“I am this author”); once a moderator approves "
            "it, you can submit the paper.",
            "not_an_author",
        )
    listed = paper.listings.order_by("-day").first()
    if listed is not None:
        again = settings.SUBMIT_RELIST_AFTER_DAYS
        if listed.day == day or not again or (day - listed.day).days < again:
            when = "today" if listed.day == day else f"on {listed.day:%B} {listed.day.day}, {listed.day.year}"
            raise SubmissionRefused(f"“{paper.title}” is already on the feed ({when}).", "already_listed")
    max_age = settings.SUBMIT_MAX_AGE_DAYS
    if max_age and paper.published_at and (now - paper.published_at) > dt.timedelta(days=max_age):
        published = paper.published_on
        raise SubmissionRefused(
            f"“{paper.title}” first appeared on arXiv on {published:%B} {published.day}, "
            f"{published.year}; only papers from the last {max_age} days can be submitted.",
            "too_old",
        )
    per_day = settings.SUBMIT_PER_DAY
    if per_day and not user.is_staff:
        made = Listing.objects.filter(submitted_by=user, source=Listing.Source.SUBMISSION, day=day).count()
        if made >= per_day:
            raise SubmissionRefused(
                f"You have submitted {made} paper{'s' if made != 1 else ''} today, the most one member may "
                f"submit a day. Please come back tomorrow.",
                "daily_limit",
                retry_after=max(1, math.ceil((feed_time(day + dt.timedelta(days=1)) - now).total_seconds())),
            )


def submit_paper(
    user,
    text: str,
    *,
    note: str = "",
    github_repo: str = "",
    project_page: str = "",
    organization: Organization | None = None,
) -> Listing:
    """Put the paper that `text` names (arXiv id or URL) on today's feed, submitted by `user` (on
    behalf of `organization`, one of theirs, when given).

    Raises SubmissionRefused (a ValueError) with a message for the member when a rule is broken.
    The submitter's GitHub repository and project page fill the paper's own fields when empty; the
    repository also replaces one only found in the paper's text (papers.code_links).
    """
    if user is None or not user.is_authenticated:
        raise PermissionDenied("Sign in to submit papers.")
    if not user.is_active:
        raise PermissionDenied("This account is deactivated and cannot submit papers.")
    note = (note or "").replace("\r\n", "\n").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise SubmissionRefused(
            f"The comment can be at most {NOTE_MAX_LENGTH:,} characters long.", "long_note"
        )
    github_repo = clean_link(github_repo, github=True)
    project_page = clean_link(project_page)
    if (
        organization is not None
        and not Membership.objects.filter(user=user, organization=organization).exists()
    ):
        raise SubmissionRefused(f"You are not a member of {organization}.", "not_a_member")
    paper = find_paper(text)
    now = timezone.now()
    day = feed_day(now)
    try:
        with transaction.atomic():
            # Lock the paper so two members submitting it at once cannot both list it.
            paper = Paper.objects.select_for_update().get(pk=paper.pk)
            check_rules(user, paper, day, now)
            changed = []
            if github_repo and (not paper.github_repo or paper.github_repo_origin != code_links.GIVEN):
                paper.offer_github_repo(github_repo, code_links.GIVEN)
                changed += ["github_repo", "github_repo_origin", "github_stars"]
            if project_page and not paper.project_page:
                paper.project_page = project_page
                changed.append("project_page")
            if changed:
                paper.save(update_fields=changed)
                catalogue_changed_on_commit([paper.pk])  # "has code" is a search filter
            listing = Listing.objects.create(
                paper=paper,
                day=day,
                source=Listing.Source.SUBMISSION,
                submitted_by=user,
                submitter_name=user.get_username(),
                submitted_at=now,
                listed_at=now,
                note=note,
                organization=organization,
            )
    except IntegrityError:
        # The unique (paper, day) constraint caught a submission that raced ours.
        raise SubmissionRefused(
            f"“{paper.title}” is already on the feed (today).", "already_listed"
        ) from None
    log.info("%s submitted arXiv:%s for %s", user.get_username(), paper.arxiv_id, day)
    return listing


def add_links(user, listing: Listing, *, github_repo: str = "", project_page: str = "") -> Paper:
    """The submitter (or staff) sets the paper's GitHub repository and project page."""
    if not (
        user
        and user.is_authenticated
        and user.is_active
        and (listing.submitted_by_id == user.pk or user.is_staff)
    ):
        raise PermissionDenied("Only the member who submitted this paper can change its links.")
    paper = listing.paper
    paper.offer_github_repo(clean_link(github_repo, github=True), code_links.GIVEN)
    paper.project_page = clean_link(project_page) or paper.project_page
    paper.save(update_fields=["github_repo", "github_repo_origin", "github_stars", "project_page"])
    catalogue_changed_on_commit([paper.pk])  # "has code" is a search filter
    return paper
