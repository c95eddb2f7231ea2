"""Who put papers on the feed, by name: members of this site, and submitters on the site a feed was
imported from (Hugging Face), who are handles there and never accounts here.

Names are matched ignoring case, as the API's `submitter=` filter matches them. A member always
wins over an imported submitter of the same name: the page and feed at that name are the member's.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.contrib.auth import get_user_model

from dailypapers.papers.models import SITE_NAMES, Listing, ListingQuerySet

# Hugging Face's daily feed is the only import that names submitters.
IMPORTED_SITE = "huggingface"
PROFILE_URLS = {"huggingface": "https://huggingface.co/{name}"}
# Listing.submitter_name's length; a longer name names nobody (and is not worth a query).
MAX_NAME = 150


def plausible_name(name: str) -> bool:
    """Whether `name` could name anyone: not empty, not too long, no NUL (which PostgreSQL refuses in
    a query), no slash (which no profile address can hold)."""
    return 0 < len(name) <= MAX_NAME and "\x00" not in name and "/" not in name


def member_named(name: str):
    """The active member of that username: spelled exactly, else the only one spelled so in another
    case. None when there is none (or several differ only in case and none is spelled exactly)."""
    if not plausible_name(name):
        return None
    users = get_user_model().objects.filter(is_active=True)
    exact = users.filter(username=name).first()
    if exact is not None:
        return exact
    matches = list(users.filter(username__iexact=name)[:2])
    return matches[0] if len(matches) == 1 else None


@dataclass(frozen=True)
class ImportedSubmitter:
    """A submitter on the imported site, known from the visible listings that name them."""

    name: str  # as their newest listing spells it
    fullname: str
    site: str = IMPORTED_SITE

    @property
    def site_name(self) -> str:
        return SITE_NAMES.get(self.site, self.site)

    @property
    def profile_url(self) -> str:
        """Their profile on the imported site."""
        return PROFILE_URLS[self.site].format(name=quote(self.name, safe=""))

    def listings(self) -> ListingQuerySet:
        """Their visible listings, newest first."""
        return imported_listings(self.name).order_by("-day", "-id")


def imported_listings(name: str) -> ListingQuerySet:
    """Visible imported listings whose submitter on the imported site is `name` (any case)."""
    if not plausible_name(name):
        return Listing.objects.none()
    return Listing.objects.visible().filter(
        source=Listing.Source.IMPORT, submitted_by=None, submitter_name__iexact=name
    )


def imported_submitter(name: str) -> ImportedSubmitter | None:
    """The imported submitter called `name` (any case), if a visible listing names them."""
    newest = imported_listings(name).order_by("-day", "-id").values("submitter_name").first()
    if newest is None:
        return None
    # Their full name as the newest listing that has one gives it.
    fullname = (
        imported_listings(name)
        .exclude(submitter_fullname="")
        .order_by("-day", "-id")
        .values_list("submitter_fullname", flat=True)
        .first()
    )
    return ImportedSubmitter(name=newest["submitter_name"], fullname=fullname or "")
