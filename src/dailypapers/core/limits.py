"""Per-client limits: at most N events per window for each client of a limit (API reads and writes,
sign-in failures, sign-ups, digest subscriptions).

A rate reads "N/<window>": N events per window, the window one of s, m, h or d with an optional
count before it ("300/m", "10/h", "5/15m", "5/900s"); an empty rate is no limit.

Counts live in the database (core.RateCounter), so every server process sees the same ones, and each
event is counted by one atomic INSERT ... ON CONFLICT DO UPDATE ... RETURNING: concurrent requests
never lose a count (SQLite >= 3.35, PostgreSQL). A window is fixed and starts at a client's first
event in it; rows whose window has ended are swept each time a window starts.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import NamedTuple

from django.db import connection
from django.db.models import F

from dailypapers.core.env import parse_rate
from dailypapers.core.models import RateCounter

# The clock the windows run on; tests move it.
clock = time.time


class Usage(NamedTuple):
    """What one event left of a client's allowance."""

    allowed: bool  # within the limit (the event is counted either way)
    limit: int  # events allowed per window
    remaining: int  # events still allowed in this window
    retry_after: int  # whole seconds until the window ends


def _upsert_sql() -> str:
    q = connection.ops.quote_name
    table, key, count, expires = map(q, [RateCounter._meta.db_table, "key", "count", "expires_at"])
    # Every right-hand side reads the row as it was, on SQLite as on PostgreSQL: an ended window
    # starts again at 1, a running one counts on.
    return (
        f"INSERT INTO {table} ({key}, {count}, {expires}) VALUES (%s, 1, %s) "
        f"ON CONFLICT ({key}) DO UPDATE SET "
        f"{count} = CASE WHEN {table}.{expires} <= %s THEN 1 ELSE {table}.{count} + 1 END, "
        f"{expires} = CASE WHEN {table}.{expires} <= %s THEN excluded.{expires} ELSE {table}.{expires} END "
        f"RETURNING {count}, {expires}"
    )


class Limit:
    """A named limit, e.g. Limit("login-account", "5/15m"). Keys are the clients (an account name, an
    address); they count case-insensitively, and an empty key is never counted nor blocked.
    Count outside a transaction: inside one, a count would be undone if the transaction is."""

    def __init__(self, name: str, rate: str) -> None:
        self.name = name
        self.rate = parse_rate(rate)

    @property
    def enabled(self) -> bool:
        return self.rate is not None

    def _row_key(self, key: str) -> str:
        return f"{self.name}:{hashlib.sha256(key.lower().encode()).hexdigest()}"

    def hit(self, key: str) -> Usage:
        """Count one event for `key`, and say whether it was within the limit (always, with no limit
        or no key)."""
        if self.rate is None or not key:
            return Usage(True, 0, 0, 0)
        now = clock()
        with connection.cursor() as cursor:
            cursor.execute(_upsert_sql(), [self._row_key(key), now + self.rate.seconds, now, now])
            # fetchall: SQLite applies the statement only once it has run to the end.
            ((count, expires_at),) = cursor.fetchall()
        if count == 1:  # a window started: sweep the ones that ended, so the table stays small
            RateCounter.objects.filter(expires_at__lte=now).delete()
        return Usage(
            allowed=count <= self.rate.count,
            limit=self.rate.count,
            remaining=max(0, self.rate.count - count),
            # Never past a whole window: a request that read the clock just before another one
            # started the window would otherwise be told a second more.
            retry_after=min(self.rate.seconds, max(1, math.ceil(expires_at - now))),
        )

    def blocked(self, key: str) -> bool:
        """Whether `key` has used up its allowance in the current window (counts nothing)."""
        if self.rate is None or not key:
            return False
        counts = RateCounter.objects.filter(key=self._row_key(key), expires_at__gt=clock())
        return (counts.values_list("count", flat=True).first() or 0) >= self.rate.count

    def give_back(self, key: str) -> None:
        """Take back one event of `key`'s current window (one counted before it was known not to
        count, e.g. a sign-in attempt that turned out right). Atomic, like hit."""
        if self.rate is None or not key:
            return
        RateCounter.objects.filter(key=self._row_key(key), expires_at__gt=clock(), count__gt=0).update(
            count=F("count") - 1
        )

    def reset(self, key: str) -> None:
        """Forget `key`'s events: its allowance is whole again."""
        RateCounter.objects.filter(key=self._row_key(key)).delete()
