"""Helpers for the digest tests: subscribers whose digest is due, and links out of received mail."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from django.utils import timezone

from dailypapers.digests.models import Delivery, Subscription
from dailypapers.digests.schedule import last_due_at_or_before, period_due_at
from dailypapers.papers.periods import Period


def due_period(frequency: str = "daily") -> Period:
    """The period a digest sent now covers."""
    return period_due_at(frequency, last_due_at_or_before(frequency, timezone.now()))


def make_due(*subscriptions: Subscription) -> None:
    Subscription.objects.filter(pk__in=[s.pk for s in subscriptions]).update(
        next_due=timezone.now() - dt.timedelta(minutes=1)
    )


def active_subscribers(count: int, prefix: str = "reader", **fields) -> list[Subscription]:
    now = timezone.now()
    Subscription.objects.bulk_create(
        [
            Subscription(
                email=f"{prefix}{i}@example.org",
                status=Subscription.Status.ACTIVE,
                confirmed_at=now,
                next_due=now - dt.timedelta(minutes=1),
                **fields,
            )
            for i in range(count)
        ]
    )
    return list(Subscription.objects.filter(email__startswith=prefix).order_by("id"))


def link(text: str, kind: str) -> str:
    """The path of the first /digests/<kind>/ link in a mail's text."""
    match = re.search(rf"https?://\S+/digests/{kind}/\S+", text)
    assert match, f"no {kind} link in:\n{text}"
    return urlsplit(match.group(0)).path


def ledger() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Delivery.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def titles(received) -> list[str]:
    """The paper titles of a received digest, in order."""
    return [t.strip() for t in re.findall(r"^\d+\. (.+)$", received.text.replace("\r\n", "\n"), re.M)]
