"""What a paper is wanted for: categories, keywords, authors. One matching rule for the whole site.

The auto-listing rules (sources.autolist) and digest subscriptions (digests) both ask with a
`PaperFilter`; each criterion is met the same way everywhere:

- categories: the paper is in any of them (its primary category or a cross-list);
- keywords: any of them appears in the title or abstract as whole words, in any case; the spaces
  inside a keyword match any run of white space ("large language" finds "Large\\nLanguage");
- authors: any of them wrote the paper, the name matched however it is spelled
  (papers.authors.author_key: case, accents, spacing and initials' dots ignored).

An empty criterion asks nothing. How criteria combine is the feature's own rule: `matches` wants
every filled-in criterion (the auto-listing rules); digests let followed authors through on their
own and use the pieces (`in_categories`, `by_authors`, `keywords_q`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from django.db.models import Q

from dailypapers.papers.authors import author_key

if TYPE_CHECKING:
    from dailypapers.papers.models import Paper


def keyword_pattern(keywords: Iterable[str]) -> str:
    """A regex matching any keyword as whole words, valid in Python's re (SQLite's REGEXP) and in
    PostgreSQL's ARE alike: lookarounds on \\w instead of \\b, which means backspace to PostgreSQL
    (and which, unlike \\b, also bounds keywords that end in a symbol, such as "C++")."""
    words = [r"\s+".join(re.escape(part) for part in k.split()) for k in keywords]
    return r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)"


@dataclass(frozen=True)
class PaperFilter:
    categories: frozenset[str] = frozenset()
    keywords: tuple[str, ...] = ()  # white space collapsed, spelling kept
    authors: frozenset[str] = frozenset()  # author_key of each name

    @classmethod
    def of(
        cls, categories: Iterable[str] = (), keywords: Iterable[str] = (), authors: Iterable[str] = ()
    ) -> PaperFilter:
        """A filter from what a person typed: category codes, keywords and author names."""
        return cls(
            categories=frozenset(code for code in categories if code),
            keywords=tuple(dict.fromkeys(word for k in keywords if (word := " ".join(k.split())))),
            authors=frozenset(key for name in authors if (key := author_key(name))),
        )

    def __bool__(self) -> bool:
        return bool(self.categories or self.keywords or self.authors)

    @cached_property
    def _keyword_regex(self) -> re.Pattern | None:
        return re.compile(keyword_pattern(self.keywords), re.IGNORECASE) if self.keywords else None

    def in_categories(self, codes: Iterable[str]) -> bool:
        return not self.categories or not self.categories.isdisjoint(codes)

    def mentions(self, title: str | None, abstract: str | None) -> bool:
        """Whether the title or the abstract has one of the keywords."""
        regex = self._keyword_regex
        return regex is None or bool(regex.search(title or "") or regex.search(abstract or ""))

    def by_authors(self, author_keys: Iterable[str]) -> bool:
        """Whether one of the authors (given by their author_key) is one of ours."""
        return not self.authors or not self.authors.isdisjoint(author_keys)

    def matches_fields(
        self,
        *,
        title: str | None,
        abstract: str | None,
        categories: Iterable[str],
        author_keys: Iterable[str],
    ) -> bool:
        """Every filled-in criterion is met by a paper with these fields (a paper not yet catalogued)."""
        return (
            self.in_categories(categories) and self.mentions(title, abstract) and self.by_authors(author_keys)
        )

    def matches(self, paper: Paper) -> bool:
        """Every filled-in criterion is met by this catalogued paper (prefetch_cards it first, for many)."""
        return self.matches_fields(
            title=paper.title,
            abstract=paper.abstract,
            categories=[c.code for c in paper.categories.all()],
            author_keys=[a.author.key for a in paper.authorships.all()],
        )

    def keywords_q(self) -> Q:
        """The keyword criterion for a Paper queryset, matched by the database (Q() when none)."""
        if not self.keywords:
            return Q()
        pattern = keyword_pattern(self.keywords)
        return Q(title__iregex=pattern) | Q(abstract__iregex=pattern)
