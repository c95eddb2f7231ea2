"""The one path by which papers from any source enter the catalogue.

`upsert` takes a batch of PaperRecords and, in one transaction, creates the papers that are new,
updates those whose metadata changed, and adds the feed listings. Running it again with the same
records changes nothing, which is what makes every import and harvest safe to rerun.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.db import transaction

from dailypapers.papers.models import Author, Authorship, Category, Listing, Paper, author_key
from dailypapers.sources.records import PaperRecord

# Stay well under SQLite's bound-parameter limit on older builds.
CHUNK = 900


@dataclass
class UpsertResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    listings_new: int = 0

    def add(self, other: UpsertResult) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.listings_new += other.listings_new


def _chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _merge_batch(records: Iterable[PaperRecord]) -> dict[str, PaperRecord]:
    merged: dict[str, PaperRecord] = {}
    for record in records:
        earlier = merged.get(record.arxiv_id)
        merged[record.arxiv_id] = record if earlier is None else earlier.merged_with(record)
    return merged


def upsert(records: Iterable[PaperRecord]) -> UpsertResult:
    """Bring the catalogue up to date with `records`, all or nothing."""
    batch = _merge_batch(records)
    result = UpsertResult()
    if not batch:
        return result
    with transaction.atomic():
        ids = list(batch)
        papers = {p.arxiv_id: p for chunk in _chunks(ids) for p in Paper.objects.filter(arxiv_id__in=chunk)}
        old_ids = [p.pk for p in papers.values()]
        old_authors = _current_authors(old_ids)
        old_categories = _current_categories(old_ids)
        codes = {code for record in batch.values() for code in record.categories or ()}
        Category.objects.bulk_create([Category(code=c) for c in sorted(codes)], ignore_conflicts=True)

        created: list[Paper] = []
        changed: dict[str, set[str]] = {}
        new_author_lists: dict[str, list[str]] = {}
        new_category_lists: dict[str, list[str]] = {}
        for arxiv_id, record in batch.items():
            paper = papers.get(arxiv_id)
            if paper is None:
                if not record.title:
                    continue  # a listing or stats for a paper we know nothing else about
                paper = Paper(arxiv_id=arxiv_id)
                _apply_scalars(paper, record)
                _apply_stats(paper, record)
                _apply_categories(paper, record, [])
                papers[arxiv_id] = paper
                created.append(paper)
                if record.authors:
                    new_author_lists[arxiv_id] = record.authors
                if record.categories:
                    new_category_lists[arxiv_id] = record.categories
                continue
            fields = _apply_scalars(paper, record) | _apply_stats(paper, record)
            current_categories = old_categories.get(paper.pk, [])
            fields |= _apply_categories(paper, record, current_categories)
            if _is_outdated(paper, record):
                pass  # an older version: keep its listing and figures, not its metadata
            else:
                if record.authors is not None and _keys(record.authors) != old_authors.get(paper.pk, []):
                    new_author_lists[arxiv_id] = record.authors
                    fields.add("authors")
                if record.categories and sorted(record.categories) != sorted(current_categories):
                    new_category_lists[arxiv_id] = record.categories
                    fields.add("categories")
            if fields:
                changed[arxiv_id] = fields

        Paper.objects.bulk_create(created, batch_size=500)
        result.new = len(created)
        _save_changes(papers, changed)
        result.updated = len(changed)
        result.unchanged = len(batch) - result.new - result.updated - sum(1 for i in ids if i not in papers)
        _replace_authors(papers, new_author_lists, replacing={i for i in new_author_lists if i in changed})
        _replace_categories(
            papers, new_category_lists, replacing={i for i in new_category_lists if i in changed}
        )
        result.listings_new = _add_listings(papers, batch)
    return result


def _is_outdated(paper: Paper, record: PaperRecord) -> bool:
    """An older arXiv version, or an older observation, of what the catalogue already holds."""
    if record.version and paper.version and record.version != paper.version:
        return record.version < paper.version
    seen, held = record.metadata_as_of, paper.metadata_as_of
    return bool(seen and held and seen < held)


def _apply_scalars(paper: Paper, record: PaperRecord) -> set[str]:
    if _is_outdated(paper, record):
        return set()
    changed = set()
    for name, value in record.known_scalars().items():
        if getattr(paper, name) != value:
            setattr(paper, name, value)
            changed.add(name)
    return changed


def _apply_stats(paper: Paper, record: PaperRecord) -> set[str]:
    stats = record.stats
    if stats is None or (paper.imported_as_of and stats.as_of < paper.imported_as_of):
        return set()
    values = {
        "imported_site": stats.site,
        "imported_upvotes": stats.upvotes,
        "imported_comments": stats.comments,
        "imported_as_of": stats.as_of,
    }
    changed = {name for name, value in values.items() if getattr(paper, name) != value}
    for name in changed:
        setattr(paper, name, values[name])
    return changed


def _apply_categories(paper: Paper, record: PaperRecord, current: list[str]) -> set[str]:
    if not record.categories or _is_outdated(paper, record):
        return set()
    primary = record.categories[0]
    if paper.primary_category_id != primary:
        paper.primary_category_id = primary
        return {"primary_category"}
    return set()


def _save_changes(papers: dict[str, Paper], changed: dict[str, set[str]]) -> None:
    by_fields: dict[frozenset[str], list[Paper]] = defaultdict(list)
    for arxiv_id, fields in changed.items():
        columns = frozenset(fields - {"authors", "categories"})
        if columns:
            by_fields[columns].append(papers[arxiv_id])
    for columns, group in by_fields.items():
        Paper.objects.bulk_update(group, sorted(columns), batch_size=500)


def _keys(names: Iterable[str]) -> list[str]:
    """Author matching keys in order, each once: what an authorship list is compared by."""
    return list(dict.fromkeys(key for key in map(author_key, names) if key))


def _current_authors(paper_pks: list[int]) -> dict[int, list[str]]:
    authors: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(paper_pks):
        rows = Authorship.objects.filter(paper_id__in=chunk).order_by("paper_id", "position")
        for paper_id, key in rows.values_list("paper_id", "author__key"):
            authors[paper_id].append(key)
    return authors


def _current_categories(paper_pks: list[int]) -> dict[int, list[str]]:
    through = Paper.categories.through
    categories: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(paper_pks):
        for paper_id, code in through.objects.filter(paper_id__in=chunk).values_list(
            "paper_id", "category_id"
        ):
            categories[paper_id].append(code)
    return categories


def _author_ids(names: Iterable[str]) -> dict[str, int]:
    """Author row ids by matching key, creating the authors not seen before."""
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(author_key(name), name)
    wanted.pop("", None)
    found: dict[str, int] = {}
    keys = list(wanted)
    for chunk in _chunks(keys):
        found.update(Author.objects.filter(key__in=chunk).values_list("key", "id"))
    missing = [Author(key=k, name=wanted[k][:300]) for k in keys if k not in found]
    if missing:
        Author.objects.bulk_create(missing, batch_size=500, ignore_conflicts=True)
        for chunk in _chunks([a.key for a in missing]):
            found.update(Author.objects.filter(key__in=chunk).values_list("key", "id"))
    return found


def _replace_authors(papers: dict[str, Paper], lists: dict[str, list[str]], replacing: set[str]) -> None:
    if not lists:
        return
    ids = _author_ids(name for names in lists.values() for name in names)
    for chunk in _chunks([papers[i].pk for i in replacing]):
        Authorship.objects.filter(paper_id__in=chunk).delete()
    rows = []
    for arxiv_id, names in lists.items():
        for position, key in enumerate(_keys(names), start=1):
            rows.append(Authorship(paper_id=papers[arxiv_id].pk, author_id=ids[key], position=position))
    Authorship.objects.bulk_create(rows, batch_size=1000)


def _replace_categories(papers: dict[str, Paper], lists: dict[str, list[str]], replacing: set[str]) -> None:
    if not lists:
        return
    through = Paper.categories.through
    for chunk in _chunks([papers[i].pk for i in replacing]):
        through.objects.filter(paper_id__in=chunk).delete()
    rows = [
        through(paper_id=papers[arxiv_id].pk, category_id=code)
        for arxiv_id, codes in lists.items()
        for code in dict.fromkeys(codes)
    ]
    through.objects.bulk_create(rows, batch_size=1000)


def _add_listings(papers: dict[str, Paper], batch: dict[str, PaperRecord]) -> int:
    wanted = {
        (papers[arxiv_id].pk, listing.day): listing
        for arxiv_id, record in batch.items()
        if arxiv_id in papers
        for listing in record.listings
    }
    if not wanted:
        return 0
    existing: dict[tuple[int, object], Listing] = {}
    for chunk in _chunks(list({pk for pk, _ in wanted})):
        existing.update({(row.paper_id, row.day): row for row in Listing.objects.filter(paper_id__in=chunk)})
    new_rows, updated_rows = [], []
    for (paper_id, day), listing in wanted.items():
        row = existing.get((paper_id, day))
        if row is None:
            new_rows.append(
                Listing(
                    paper_id=paper_id,
                    day=day,
                    source=listing.source,
                    submitter_name=listing.submitter_name,
                    submitter_fullname=listing.submitter_fullname,
                    submitted_at=listing.submitted_at,
                )
            )
        elif row.source == listing.source == Listing.Source.IMPORT and (
            (row.submitter_name, row.submitter_fullname, row.submitted_at)
            != (listing.submitter_name, listing.submitter_fullname, listing.submitted_at)
        ):
            row.submitter_name = listing.submitter_name
            row.submitter_fullname = listing.submitter_fullname
            row.submitted_at = listing.submitted_at
            updated_rows.append(row)
    Listing.objects.bulk_create(new_rows, batch_size=500, ignore_conflicts=True)
    Listing.objects.bulk_update(
        updated_rows, ["submitter_name", "submitter_fullname", "submitted_at"], batch_size=500
    )
    return len(new_rows)
