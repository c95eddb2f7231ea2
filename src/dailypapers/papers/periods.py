"""The feed's clock and the spans a feed can show: a day, an ISO week or a month, and their URLs.

A feed day is a date on the feed's clock (settings.FEED_TIMEZONE, arXiv's announcement clock):
every app asks `feed_day` which day a moment falls on, and `feed_time` when a feed day's hour is.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone


def feed_zone() -> ZoneInfo:
    """The feed's time zone (read each time: tests and operators may change the setting)."""
    return ZoneInfo(settings.FEED_TIMEZONE)


def feed_day(moment: dt.datetime | None = None) -> dt.date:
    """The feed day that `moment` (by default, now) falls on."""
    return (moment or timezone.now()).astimezone(feed_zone()).date()


def feed_time(day: dt.date, time: dt.time = dt.time()) -> dt.datetime:
    """The moment `time` (by default, midnight) of feed day `day`, on the feed's clock."""
    return dt.datetime.combine(day, time, tzinfo=feed_zone())


_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class Period:
    kind: str  # "day" | "week" | "month"
    start: dt.date
    end: dt.date  # inclusive

    @classmethod
    def day(cls, day: dt.date) -> Period:
        return cls("day", day, day)

    @classmethod
    def week_of(cls, day: dt.date) -> Period:
        """The ISO week holding `day`. OverflowError for the one week that ends after 9999-12-31."""
        start = day - dt.timedelta(days=day.weekday())
        return cls("week", start, start + dt.timedelta(days=6))

    @classmethod
    def month_of(cls, day: dt.date) -> Period:
        start = day.replace(day=1)
        _, last_day = calendar.monthrange(start.year, start.month)
        return cls("month", start, start.replace(day=last_day))

    @classmethod
    def containing(cls, kind: str, day: dt.date) -> Period | None:
        """The day, week or month holding `day`; None for a week that runs past the last date
        Python knows (9999-12-31): a feed's neighbour or span there simply does not exist."""
        try:
            return {"day": cls.day, "week": cls.week_of, "month": cls.month_of}[kind](day)
        except OverflowError:
            return None

    @classmethod
    def parse(cls, kind: str, slug: str) -> Period | None:
        """Read a URL slug (2026-08-21, 2026-W34, 2026-08); None when it names no real period,
        or one past the calendar's end (9999-W52)."""
        try:
            if kind == "day":
                return cls.day(dt.date.fromisoformat(slug))
            if kind == "week" and (m := _WEEK.fullmatch(slug)):
                return cls.containing("week", dt.date.fromisocalendar(int(m[1]), int(m[2]), 1))
            if kind == "month" and (m := _MONTH.fullmatch(slug)):
                return cls.month_of(dt.date(int(m[1]), int(m[2]), 1))
        except ValueError:
            return None
        return None

    @property
    def slug(self) -> str:
        # Years are padded to four digits, as the URL patterns expect (year 1 is 0001, not 1).
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year:04d}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return self.start.isoformat()

    @property
    def title(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"Week {week}, {year}"
        if self.kind == "month":
            return self.start.strftime("%B %Y")
        return self.start.strftime("%A, %B %-d, %Y")

    @property
    def short_title(self) -> str:
        if self.kind == "week":
            return f"Week {self.start.isocalendar()[1]}"
        if self.kind == "month":
            return self.start.strftime("%b %Y")
        return self.start.strftime("%a, %b %-d")

    @property
    def range_label(self) -> str:
        if self.kind == "week":
            return f"{self.start:%b %-d} – {self.end:%b %-d, %Y}"
        return ""

    def url(self) -> str:
        return reverse(f"front:{self.kind}", args=[self.slug])
