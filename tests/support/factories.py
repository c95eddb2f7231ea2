"""Small helpers that put papers (and members) into the catalogue through the real ingest path."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from dailypapers.papers.models import Authorship, Listing, Paper
from dailypapers.papers.periods import feed_day
from dailypapers.sources.ingest import upsert
from dailypapers.sources.records import ImportedStats, ListingRecord, PaperRecord


def add_paper(
    arxiv_id: str,
    title: str = "A paper",
    day: dt.date | None = None,
    votes: int = 0,
    authors: list[str] | None = None,
    **fields,
) -> None:
    as_of = dt.datetime.combine(day or dt.date(2026, 1, 1), dt.time(), tzinfo=dt.UTC)
    upsert(
        [
            PaperRecord(
                arxiv_id=arxiv_id,
                title=title,
                abstract=fields.pop("abstract", f"Abstract of {title}."),
                authors=authors or ["Ada Lovelace", "Alan Turing"],
                stats=ImportedStats("huggingface", votes, 0, as_of),
                listings=[ListingRecord(day=day, submitter_name="reader")] if day else [],
                **fields,
            )
        ]
    )


def recent_paper(arxiv_id: str, title: str = "A recent paper", days_old: float = 1, **fields) -> Paper:
    """A catalogued paper first published `days_old` days ago, not on any feed."""
    published = timezone.now() - dt.timedelta(days=days_old)
    add_paper(arxiv_id, title, published_at=published, updated_at=published, **fields)
    return Paper.objects.get(arxiv_id=arxiv_id)


def listed_paper(
    arxiv_id: str, title: str = "A listed paper", day: dt.date | None = None, votes: int = 0
) -> Paper:
    """A catalogued paper on the feed of `day` (today by default)."""
    add_paper(arxiv_id, title, day=day or feed_day(), votes=votes)
    return Paper.objects.get(arxiv_id=arxiv_id)


def catalogue() -> dict[str, list]:
    """Everything an import or harvest writes, in a comparable form."""
    fields = [f.attname for f in Paper._meta.concrete_fields if f.name not in {"id", "added_at"}]
    return {
        "papers": sorted(Paper.objects.values_list(*fields)),
        "authorships": sorted(
            Authorship.objects.values_list("paper__arxiv_id", "position", "author__key", "name")
        ),
        "categories": sorted(Paper.categories.through.objects.values_list("paper__arxiv_id", "category_id")),
        "listings": sorted(
            Listing.objects.values_list(
                "paper__arxiv_id", "day", "source", "submitter_name", "submitted_at", "listed_at", "title"
            )
        ),
    }


def add_user(username: str = "ada", password: str = "correct horse battery", **fields):
    """A member who can sign in with `password`; e-mail defaults to username@example.org."""
    fields.setdefault("email", f"{username}@example.org")
    return get_user_model().objects.create_user(username=username, password=password, **fields)
