""" "New since your last visit": when a signed-in member last looked at the feed.

Kept in the member's session, which every request of theirs loads anyway: no query to read it, and a
write at most every SEEN_EVERY (while they read) or when a new visit starts (after VISIT_GAP away).
The boundary of "new" is the moment they were last seen before the current visit began, so marks
stay put while they read and move on at their next visit.

How the mark stays right in cached pages (core.pagecache keeps a member's copy per address): the
boundary is the copy's *variant* (`pagecache.set_variant`), part of its cache key. A new visit moves
the boundary and so reads another copy (rendered once); while it stands, the copy is served as usual.
Marked on the server, not by a script: it shows without JavaScript, and two devices of one member
(two sessions, two boundaries) each get their own copy.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from dailypapers.core import pagecache
from dailypapers.papers.models import Listing

SESSION_KEY = "feed_visit"
VISIT_GAP = dt.timedelta(minutes=30)  # away this long: the next feed page starts a new visit
SEEN_EVERY = dt.timedelta(minutes=5)  # while reading, "last seen" is written at most this often


def note_visit(request: HttpRequest, now: dt.datetime | None = None) -> dt.datetime | None:
    """Record that the member looks at the feed; the boundary of "new" for them (None: a first visit,
    or not signed in)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    now = now or timezone.now()
    seen_text, since_text = (request.session.get(SESSION_KEY) or [None, None])[:2]
    seen = _parse(seen_text)
    since = _parse(since_text)
    if seen is None:
        request.session[SESSION_KEY] = [now.isoformat(), None]
    elif now - seen > VISIT_GAP:
        since = seen
        request.session[SESSION_KEY] = [now.isoformat(), seen.isoformat()]
    elif now - seen > SEEN_EVERY:
        request.session[SESSION_KEY] = [now.isoformat(), since_text]
    return since


def _parse(text: Any) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def remembering_visits(view: Callable) -> Callable:
    """Around a `cached_page` feed view: note the visit first, and key the member's copy by its
    boundary (the cards render the "New" marks from `request.feed_since`)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        since = note_visit(request) if request.method in ("GET", "HEAD") else None
        request.feed_since = since
        if since is not None:
            pagecache.set_variant(request, since.isoformat())
        return view(request, *args, **kwargs)

    return wrapper


def new_at(listing: Listing) -> dt.datetime | None:
    """When a card's paper reached this feed: the latest of the paper's arrival in the catalogue and
    the listing's own moment (submitted here, or listed on the imported site), for a listing of an
    old paper is news when it is listed, and an import lags its source's listing time."""
    moments = [m for m in (listing.paper.added_at, listing.submitted_at, listing.listed_at) if m]
    return max(moments) if moments else None
