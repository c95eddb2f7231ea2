"""Auto-listing: which newly announced papers enter the daily feed by themselves.

The operator's AutoListRules (in the admin) each hold a papers.filters.PaperFilter; a new paper that
meets every criterion a rule fills in is listed on its announcement day.
"""

from __future__ import annotations

from collections.abc import Iterable

from dailypapers.papers.filters import PaperFilter
from dailypapers.papers.models import AutoListRule
from dailypapers.sources.records import ListingRecord, PaperRecord


def active_rules() -> list[PaperFilter]:
    return [rule.paper_filter for rule in AutoListRule.objects.filter(enabled=True)]


def matches(rule: PaperFilter, record: PaperRecord) -> bool:
    return rule.matches_fields(
        title=record.title,
        abstract=record.abstract,
        categories=record.categories or (),
        author_keys=record.keyed_authors(),
    )


def apply_rules(records: Iterable[PaperRecord], rules: list[PaperFilter]) -> None:
    """Add an auto listing on its announcement day to every new paper a rule matches."""
    if not rules:
        return
    for record in records:
        day = record.announced_on
        if (
            day
            and all(listing.day != day for listing in record.listings)
            and any(matches(rule, record) for rule in rules)
        ):
            record.listings.append(ListingRecord(day=day, source="auto"))
