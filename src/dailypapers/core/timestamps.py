"""Timestamps in JSON, one way for the API and the members' data download; dates and moments.

A date without a time of day (a paper's arXiv date, a feed day) is written as the moment 00:00 UTC,
as arXiv and Hugging Face write it, and read back as the UTC date of that moment: it is the same
date everywhere, never shifted to the site's clock (2026-08-20T00:00Z is Aug 20 in New York too).
"""

from __future__ import annotations

import datetime as dt


def day_start(day: dt.date) -> dt.datetime:
    """A date as a moment: its 00:00 UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def utc_date(moment: dt.datetime | None) -> dt.date | None:
    """The date a moment such as a paper's arXiv date stands for: its date in UTC."""
    return moment.astimezone(dt.UTC).date() if moment is not None else None


def iso(value: dt.datetime | dt.date | None) -> str | None:
    """Timestamps as Hugging Face writes them: UTC with milliseconds and a Z."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = day_start(value)
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
