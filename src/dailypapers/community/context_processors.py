import functools
from collections.abc import Callable

from django.http import HttpRequest


def notifications(request: HttpRequest) -> dict[str, Callable[[], int]]:
    """`unread_notifications` for the header: counted only if a template asks (a member's page being
    rendered). Cached copies of a member's pages carry the count they were rendered with; every change
    of their notifications bumps their own stamp (community.watching), so the copies are renewed."""

    @functools.cache
    def unread() -> int:
        from dailypapers.community.models import Notification

        return Notification.unread_count(getattr(request, "user", None))

    return {"unread_notifications": unread}
