"""Timestamps in JSON, one way for the API and the members' data download."""

from __future__ import annotations

import datetime as dt


def iso(value: dt.datetime | dt.date | None) -> str | None:
    """Timestamps as Hugging Face writes them: UTC with milliseconds and a Z."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
