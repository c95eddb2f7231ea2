import datetime as dt

import pytest

from dailypapers.papers.periods import Period


def test_iso_week_spans_monday_to_sunday():
    week = Period.parse("week", "2026-W34")
    assert (week.start, week.end) == (dt.date(2026, 8, 17), dt.date(2026, 8, 23))
    assert week.slug == "2026-W34"
    assert week.url() == "/papers/week/2026-W34"


def test_week_across_new_year_keeps_iso_year():
    week = Period.week_of(dt.date(2027, 1, 1))  # a Friday in ISO week 2026-W53
    assert week.slug == "2026-W53"
    assert week.start == dt.date(2026, 12, 28)


@pytest.mark.parametrize("slug, end", [("2024-02", dt.date(2024, 2, 29)), ("2026-12", dt.date(2026, 12, 31))])
def test_month_bounds(slug, end):
    month = Period.parse("month", slug)
    assert month.end == end and month.start.day == 1 and month.slug == slug


@pytest.mark.parametrize(
    "kind, slug",
    [
        ("day", "2026-02-30"),
        ("day", "2026-13-01"),
        ("week", "2026-W54"),
        ("week", "2026-W00"),
        ("month", "2026-13"),
        ("month", "2026-00"),
        ("week", "2026-08"),
    ],
)
def test_impossible_periods_are_none(kind, slug):
    assert Period.parse(kind, slug) is None


def test_periods_at_the_ends_of_the_calendar():
    first = dt.date.min  # 0001-01-01, a Monday
    assert [Period.containing(kind, first).url() for kind in ("day", "week", "month")] == [
        "/papers/date/0001-01-01",
        "/papers/week/0001-W01",
        "/papers/month/0001-01",
    ]
    last = dt.date.max  # 9999-12-31, a Friday
    assert Period.containing("month", last) == Period("month", dt.date(9999, 12, 1), last)
    assert Period.containing("day", last).url() == "/papers/date/9999-12-31"
    assert Period.containing("week", last) is None  # 9999-W52 would end in the year 10000
    assert Period.parse("week", "9999-W52") is None
    assert Period.parse("week", "9999-W51").end == dt.date(9999, 12, 26)


def test_titles():
    assert Period.parse("day", "2026-08-21").title == "Friday, August 21, 2026"
    assert Period.parse("month", "2026-08").title == "August 2026"
    assert Period.parse("week", "2026-W34").title == "Week 34, 2026"
    assert Period.parse("day", "2026-08-20").short_title == "Thu, Aug 20"


def test_feed_day_is_the_date_on_the_feed_clock(settings):
    from dailypapers.papers.periods import feed_day, feed_time

    settings.FEED_TIMEZONE = "America/New_York"
    late_evening = dt.datetime(2026, 8, 21, 3, 30, tzinfo=dt.UTC)  # 23:30 the day before in New York
    assert feed_day(late_evening) == dt.date(2026, 8, 20)
    assert feed_day(dt.datetime(2026, 8, 21, 4, 30, tzinfo=dt.UTC)) == dt.date(2026, 8, 21)
    settings.FEED_TIMEZONE = "Pacific/Kiritimati"  # UTC+14: the setting is read each time
    assert feed_day(late_evening) == dt.date(2026, 8, 21)
    assert feed_time(dt.date(2026, 8, 21)) == dt.datetime(2026, 8, 20, 10, tzinfo=dt.UTC)
    assert feed_time(dt.date(2026, 8, 21), dt.time(7)) == dt.datetime(2026, 8, 20, 17, tzinfo=dt.UTC)


def test_feed_day_defaults_to_now(settings):
    from django.utils import timezone

    from dailypapers.papers.periods import feed_day

    before = feed_day(timezone.now())
    assert feed_day() in {before, before + dt.timedelta(days=1)}  # in case midnight passed
