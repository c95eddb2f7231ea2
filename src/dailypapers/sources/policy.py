"""Which newly announced papers enter the daily feed by themselves: the operator's AutoListRules."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dailypapers.papers.authors import author_key
from dailypapers.papers.models import AutoListRule
from dailypapers.sources.records import ListingRecord, PaperRecord


@dataclass(frozen=True)
class CompiledRule:
    name: str
    categories: frozenset[str]
    keywords: re.Pattern | None
    authors: frozenset[str]

    @classmethod
    def from_rule(cls, rule: AutoListRule) -> CompiledRule:
        words = [w.strip() for w in rule.keywords.splitlines() if w.strip()]
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.I) if words else None
        return cls(
            name=rule.name,
            categories=frozenset(rule.categories.split()),
            keywords=pattern,
            authors=frozenset(author_key(a) for a in rule.authors.splitlines() if a.strip()),
        )

    def matches(self, record: PaperRecord) -> bool:
        if self.categories and not self.categories.intersection(record.categories or ()):
            return False
        if self.keywords and not self.keywords.search(f"{record.title or ''}\n{record.abstract or ''}"):
            return False
        return not self.authors or any(author_key(a) in self.authors for a in record.authors or ())


def active_rules() -> list[CompiledRule]:
    return [CompiledRule.from_rule(rule) for rule in AutoListRule.objects.filter(enabled=True)]


def apply_rules(records: Iterable[PaperRecord], rules: list[CompiledRule]) -> None:
    """Add an auto listing on its announcement day to every new paper a rule matches."""
    if not rules:
        return
    for record in records:
        day = record.announced_on
        if (
            day
            and all(listing.day != day for listing in record.listings)
            and any(r.matches(record) for r in rules)
        ):
            record.listings.append(ListingRecord(day=day, source="auto"))
