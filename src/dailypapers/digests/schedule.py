"""When digests are due, and which feed period each one covers.

Times follow the feed's clock (FEED_TIMEZONE). A daily digest for feed day D is due on D+1 at
DIGEST_SEND_HOUR; a weekly digest for an ISO week is due the Monday after, at the same hour.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from dailypapers.papers.periods import Period, feed_day, feed_time


def _at(day: dt.date) -> dt.datetime:
    return feed_time(day, dt.time(settings.DIGEST_SEND_HOUR))


def _step(frequency: str) -> int:
    return 7 if frequency == "weekly" else 1


def last_due_at_or_before(frequency: str, now: dt.datetime) -> dt.datetime:
    """The latest send time not after `now`."""
    day = feed_day(now)
    if frequency == "weekly":
        day -= dt.timedelta(days=day.weekday())
    due = _at(day)
    while due > now:
        due = _at(due.date() - dt.timedelta(days=_step(frequency)))
    return due


def next_due_after(frequency: str, now: dt.datetime) -> dt.datetime:
    """The first send time strictly after `now`."""
    last = last_due_at_or_before(frequency, now)
    return _at(last.date() + dt.timedelta(days=_step(frequency)))


def period_due_at(frequency: str, due: dt.datetime) -> Period:
    """The feed period whose digest is sent at `due` (the day, or the ISO week, just before)."""
    day_before = feed_day(due) - dt.timedelta(days=1)
    return Period.week_of(day_before) if frequency == "weekly" else Period.day(day_before)


def latest_period(frequency: str, now: dt.datetime) -> Period:
    """The period of the latest digest due by `now`."""
    return period_due_at(frequency, last_due_at_or_before(frequency, now))
