"""The one path by which papers from any source enter the catalogue.

`upsert` takes a batch of PaperRecords and, in one transaction, creates the papers that are new,
updates those whose metadata changed, and adds the feed listings. Running it again with the same
records changes nothing, which is what makes every import and harvest safe to rerun.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from itertools import chain
from operator import attrgetter, itemgetter

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import DateTimeField, JSONField
from django.utils import timezone

from dailypapers.core import pagecache
from dailypapers.papers import code_links
from dailypapers.papers.authors import author_key
from dailypapers.papers.models import Author, Authorship, Category, Listing, Organization, Paper
from dailypapers.papers.signals import (
    CODE,
    NEW_VERSION,
    catalogue_changed_on_commit,
    news_on_commit,
    version_is_news,
)
from dailypapers.sources import autolist
from dailypapers.sources.records import PaperRecord

# Stay well under SQLite's bound-parameter limit on older builds.
CHUNK = 900
PARAMS_PER_STATEMENT = 900
# On PostgreSQL, batches at least this large go through COPY; smaller ones are not worth its setup.
COPY_FROM = 500


@dataclass
class UpsertResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    listings_new: int = 0
    # Rows of the papers that are new or changed (also sent as papers.signals.catalogue_changed).
    paper_ids: set[int] = dataclasses.field(default_factory=set, repr=False)

    def add(self, other: UpsertResult) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.listings_new += other.listings_new
        self.paper_ids |= other.paper_ids


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
    """Bring the catalogue up to date with `records`, all or nothing.

    Newly announced papers (records with `announced_on`) that the operator's auto-listing rules
    match are also put on that day's feed.
    """
    batch = _merge_batch(records)
    result = UpsertResult()
    if not batch:
        return result
    if any(record.announced_on for record in batch.values()):
        autolist.apply_rules(batch.values(), autolist.active_rules())
    with transaction.atomic():
        ids = list(batch)
        # Plain SQL first: in a first import none exist, and building ORM queries is the cost.
        known = list(_lookup(Paper, "arxiv_id", "id", ids).values())
        papers = {p.arxiv_id: p for chunk in _chunks(known) for p in Paper.objects.filter(pk__in=chunk)}
        old_ids = [p.pk for p in papers.values()]
        old_authors = _current_authors(old_ids)
        old_categories = _current_categories(old_ids)
        codes = {code for record in batch.values() for code in record.categories or ()}
        _insert_rows(Category, ["code", "name"], [(c, "") for c in sorted(codes)], ignore_conflicts=True)

        fresh: dict[str, PaperRecord] = {}
        changed: dict[str, set[str]] = {}
        new_author_lists: dict[str, PaperRecord] = {}
        new_category_lists: dict[str, list[str]] = {}
        news: dict[str, set[int]] = {NEW_VERSION: set(), CODE: set()}
        for arxiv_id, record in batch.items():
            paper = papers.get(arxiv_id)
            if paper is None:
                if record.title:  # else: a listing or figures for a paper we know nothing about
                    fresh[arxiv_id] = record
                    if record.authors:
                        new_author_lists[arxiv_id] = record
                    if record.categories:
                        new_category_lists[arxiv_id] = record.categories
                continue
            # An outdated record (an older version or observation) only fills what the paper lacks.
            outdated = _is_outdated(paper, record)
            version, repo = paper.version, paper.github_repo
            current_categories = old_categories.get(paper.pk, [])
            current_authors = old_authors.get(paper.pk, [])
            fields = _apply_scalars(paper, record, outdated) | _apply_stats(paper, record)
            fields |= _apply_code(paper, record, outdated)
            fields |= _apply_categories(paper, record, outdated)
            if _authors_differ(record, current_authors) and not (outdated and current_authors):
                new_author_lists[arxiv_id] = record
                fields.add("authors")
            categories = record.categories
            if (
                categories
                # As sets: the paper holds each code once, and a source may repeat one (the arXiv
                # snapshot's "68T45, 68T05 68T45, 68T05"), which read as a change on every rerun.
                and set(categories) != set(current_categories)
                and not (outdated and current_categories)
            ):
                new_category_lists[arxiv_id] = categories
                fields.add("categories")
            if fields:
                changed[arxiv_id] = fields
                # News for the paper's watchers: a later arXiv version (a replacement), first code.
                if "version" in fields and version_is_news(paper, version):
                    news[NEW_VERSION].add(paper.pk)
                if "github_repo" in fields and paper.github_repo and not repo:
                    news[CODE].add(paper.pk)

        pks = {arxiv_id: paper.pk for arxiv_id, paper in papers.items()}
        pks.update(_insert_papers(fresh))
        _save_changes(papers, changed)
        result.new, result.updated = len(fresh), len(changed)
        result.paper_ids = {pks[i] for i in chain(fresh, changed) if i in pks}
        result.unchanged = len(batch) - result.new - result.updated - sum(1 for i in ids if i not in pks)
        _replace_authors(pks, new_author_lists, replacing={i for i in new_author_lists if i in changed})
        _replace_categories(
            pks, new_category_lists, replacing={i for i in new_category_lists if i in changed}
        )
        result.listings_new = _add_listings(pks, batch)
        pagecache.bump()  # bulk writes send no model signals: the shared pages are renewed here
        catalogue_changed_on_commit(result.paper_ids)  # the search index follows, once committed
        for kind, paper_ids in news.items():
            news_on_commit(kind, paper_ids)  # bulk_update sends no save: the watchers' news is sent here
    return result


def upsert_skipping_refused(
    records: Sequence[PaperRecord], refused: Callable[[PaperRecord, str], object]
) -> UpsertResult:
    """`upsert`, except that a record the database refuses (a number out of its range, say) costs
    only itself: the batch is halved until the refused record is alone, and `refused` is told
    which and why. The good records of the batch all land.

    A lost connection is no record's fault: it is raised as it is."""
    try:
        return upsert(records)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        if connection.vendor == "postgresql" and _connection_lost():
            raise
        if len(records) <= 1:
            if records:
                refused(records[0], _reason(exc))
            return UpsertResult()
    result = UpsertResult()
    middle = len(records) // 2
    for half in (records[:middle], records[middle:]):
        result.add(upsert_skipping_refused(half, refused))
    return result


def _connection_lost() -> bool:
    # psycopg's own errors (from COPY) are not wrapped as Django's OperationalError.
    return connection.connection is None or bool(getattr(connection.connection, "closed", False))


def _reason(exc: Exception) -> str:
    message = str(exc).strip().splitlines()
    return f"refused by the database: {message[0] if message else type(exc).__name__}"[:300]


def _execute(sql: str, params: list) -> list[tuple]:
    """Run one statement written with %s placeholders; its rows, if any.

    On SQLite this goes to the driver's own connection: Django's wrapper rewrites the
    placeholders of every query with a regex, which dominates large multi-row statements."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.execute(sql.replace("%s", "?"), params).fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _insert_rows(
    model, columns: list[str], rows: list, ignore_conflicts: bool = False, returning: tuple[str, ...] = ()
) -> list[tuple]:
    """Plain multi-row INSERTs: the ORM's per-object work is most of the cost of a large import.

    With `returning`, the given columns of the rows actually inserted (not of conflicting ones)."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql" and len(rows) >= COPY_FROM:
        return _copy_rows(model, columns, rows, returning, ignore_conflicts)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) VALUES "
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if returning:
        tail += " RETURNING " + ", ".join(map(quote, returning))
    one = f"({', '.join(['%s'] * len(columns))})"
    inserted: list[tuple] = []
    # PostgreSQL takes up to 65,535 parameters a statement; fewer, larger statements save round trips.
    limit = PARAMS_PER_STATEMENT if connection.vendor == "sqlite" else 30_000
    for chunk in _chunks(rows, max(1, limit // len(columns))):
        sql = head + ", ".join([one] * len(chunk)) + tail
        inserted.extend(_execute(sql, list(chain.from_iterable(chunk))))
    return inserted


def _copy_rows(
    model, columns: list[str], rows: list, returning: tuple[str, ...], ignore_conflicts: bool
) -> list[tuple]:
    """PostgreSQL's COPY: several times faster than INSERTs for the rows of a large import.

    Rows that may conflict go through a temporary table and INSERT ... ON CONFLICT DO NOTHING."""
    quote = connection.ops.quote_name
    table, names = quote(model._meta.db_table), ", ".join(map(quote, columns))
    with connection.cursor() as cursor:
        target = table
        if ignore_conflicts:
            target = quote(f"incoming_{model._meta.db_table}")
            cursor.execute(f"CREATE TEMPORARY TABLE {target} AS SELECT {names} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if ignore_conflicts:
            back = f" RETURNING {', '.join(map(quote, returning))}" if returning else ""
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {target} ON CONFLICT DO NOTHING{back}"
            )
            inserted = cursor.fetchall() if returning else []
            cursor.execute(f"DROP TABLE {target}")
            return inserted
    if not returning:
        return []
    key = columns.index(returning[0])
    return list(_lookup(model, returning[0], returning[1], [row[key] for row in rows]).items())


@functools.lru_cache(maxsize=65_536)  # imports repeat their dates; isoformat() is slow
def _sqlite_datetime(value: dt.datetime) -> str:
    # What Django's SQLite backend stores (naive UTC as text), without its per-value overhead.
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.isoformat(" ")[:-6]  # minus "+00:00"


def _lookup(model, key: str, value: str, wanted: Sequence) -> dict:
    """{key: value} for the rows whose `key` is in `wanted`, by plain SQL in chunks."""
    quote = connection.ops.quote_name
    found: dict = {}
    for chunk in _chunks(wanted):
        sql = (
            f"SELECT {quote(key)}, {quote(value)} FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(key)} IN ({', '.join(['%s'] * len(chunk))})"
        )
        found.update(_execute(sql, list(chunk)))
    return found


def _paper_columns() -> tuple[list[str], list, list[tuple[int, str, object]], dict[str, int]]:
    """How a new Paper row is made, for this database: its columns, their default values, the
    (position, record attribute, adapter) of each column a PaperRecord fills, every position."""
    columns, defaults, from_record = [], [], []
    for field in Paper._meta.concrete_fields:
        if field.primary_key:
            continue
        adapt = None
        if isinstance(field, DateTimeField) and connection.vendor == "sqlite":
            adapt = _sqlite_datetime
        elif isinstance(field, JSONField):
            adapt = partial(connection.ops.adapt_json_value, encoder=field.encoder)
        default = field.get_default()
        if field.attname in PaperRecord.SCALARS:
            from_record.append((len(columns), field.attname, adapt))
        columns.append(field.column)
        defaults.append(adapt(default) if adapt and default is not None else default)
    position = {
        field.attname: i
        for i, field in enumerate(f for f in Paper._meta.concrete_fields if not f.primary_key)
    }
    return columns, defaults, from_record, position


def _insert_papers(records: dict[str, PaperRecord]) -> dict[str, int]:
    """Insert the papers that are new; their row ids by arXiv id."""
    if not records:
        return {}
    columns, defaults, from_record, at = _paper_columns()
    read = attrgetter(*(name for _, name, _ in from_record))
    slots = [(i, adapt) for i, _, adapt in from_record]
    now = timezone.now()
    now = _sqlite_datetime(now) if connection.vendor == "sqlite" else now
    stats_at = [at["imported_site"], at["imported_upvotes"], at["imported_comments"], at["imported_as_of"]]
    rows = []
    for arxiv_id, record in records.items():
        row = defaults.copy()
        for (i, adapt), value in zip(slots, read(record), strict=True):
            if value is not None:
                row[i] = adapt(value) if adapt else value
        row[at["arxiv_id"]], row[at["added_at"]] = arxiv_id, now
        if record.categories:
            row[at["primary_category_id"]] = record.categories[0]
        if link := _code_link(record):
            row[at["github_repo"]], row[at["github_repo_origin"]] = link
        if stats := record.stats:
            as_of = _sqlite_datetime(stats.as_of) if connection.vendor == "sqlite" else stats.as_of
            for i, value in zip(stats_at, (stats.site, stats.upvotes, stats.comments, as_of), strict=True):
                row[i] = value
        rows.append(row)
    return dict(_insert_rows(Paper, columns, rows, returning=("arxiv_id", "id")))


def _is_outdated(paper: Paper, record: PaperRecord) -> bool:
    """An older arXiv version, or an older observation, of what the catalogue already holds."""
    if record.version and paper.version and record.version != paper.version:
        return record.version < paper.version
    seen, held = record.metadata_as_of, paper.metadata_as_of
    return bool(seen and held and seen < held)


# Set by _apply_code, whose precedence a plain copy would break.
_CODE_FIELDS = ("github_repo", "github_repo_origin", "github_stars")


def _code_link(record: PaperRecord) -> tuple[str, str] | None:
    """(address, origin) of the record's repository: the one its source gives, as given (the API
    serves an imported link back unchanged), else one its abstract or comments name."""
    if record.github_repo:
        return record.github_repo, code_links.GIVEN
    return code_links.find_in_paper(record.abstract, record.arxiv_comments)


def _apply_code(paper: Paper, record: PaperRecord, outdated: bool) -> set[str]:
    """The repository link by its precedence (Paper.offer_github_repo); an outdated record only
    fills an empty one. Stars a source gives go with the link it gives."""
    link = _code_link(record)
    if not link or (outdated and paper.github_repo):
        return set()
    before = (paper.github_repo, paper.github_repo_origin, paper.github_stars)
    paper.offer_github_repo(*link)
    if record.github_stars is not None and paper.github_repo == record.github_repo:
        paper.github_stars = record.github_stars
    after = (paper.github_repo, paper.github_repo_origin, paper.github_stars)
    return {name for name, old, new in zip(_CODE_FIELDS, before, after, strict=True) if old != new}


def _apply_scalars(paper: Paper, record: PaperRecord, outdated: bool) -> set[str]:
    """Copy what the record knows; an outdated record may still fill fields the paper lacks
    (an RSS announcement has no publication date, which a later-dated OAI record supplies)."""
    changed = set()
    for name, value in record.known_scalars().items():
        if name in _CODE_FIELDS:
            continue
        current = getattr(paper, name)
        if current != value and not (outdated and current not in (None, "", [])):
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


def _apply_categories(paper: Paper, record: PaperRecord, outdated: bool) -> set[str]:
    if not record.categories or (outdated and paper.primary_category_id):
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


def _current_authors(paper_pks: list[int]) -> dict[int, list[tuple[str, dict]]]:
    """(name, details) at each position of each paper's author list."""
    authors: dict[int, list[tuple[str, dict]]] = defaultdict(list)
    for chunk in _chunks(paper_pks):
        rows = Authorship.objects.filter(paper_id__in=chunk).order_by("paper_id", "position")
        for paper_id, name, details in rows.values_list("paper_id", "name", "details"):
            authors[paper_id].append((name, details))
    return authors


def _authors_differ(record: PaperRecord, current: list[tuple[str, dict]]) -> bool:
    """Whether the record's author list is news. A source that adds nothing to the names (arXiv)
    leaves the details another source gave (Hugging Face's) alone while the names agree."""
    if not record.authors:
        return False
    if record.author_details is None:
        return record.authors != [name for name, _ in current]
    return record.author_list() != current


def _current_categories(paper_pks: list[int]) -> dict[int, list[str]]:
    through = Paper.categories.through
    categories: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(paper_pks):
        for paper_id, code in through.objects.filter(paper_id__in=chunk).values_list(
            "paper_id", "category_id"
        ):
            categories[paper_id].append(code)
    return categories


_known_authors: ContextVar[dict[str, int] | None] = ContextVar("known_authors", default=None)


@contextmanager
def remembering_authors() -> Iterator[None]:
    """Within a bulk import, keep the ids of the authors already committed: most names recur."""
    token = _known_authors.set({})
    try:
        yield
    finally:
        _known_authors.reset(token)


def _author_ids(wanted: dict[str, str]) -> dict[str, int]:
    """Author row ids by matching key, creating the authors not seen before (key -> name)."""
    known = _known_authors.get()
    found = {key: known[key] for key in wanted if key in known} if known else {}
    unknown = [key for key in wanted if key not in found]
    # SQLite tries the INSERT first: in a first import most authors are new, and a conflict costs
    # it no more than the lookup it saves (7% of the writer's work on the snapshot). A conflict
    # skips an id, which is harmless with 64-bit ids. PostgreSQL's COPY path keeps lookup-first.
    if connection.vendor != "sqlite":
        found.update(_lookup(Author, "key", "id", unknown))
    missing = sorted((k, wanted[k][:300]) for k in unknown if k not in found)  # index-friendly order
    found.update(
        _insert_rows(Author, ["key", "name"], missing, ignore_conflicts=True, returning=("key", "id"))
    )
    if late := [k for k, _ in missing if k not in found]:  # known already, or added meanwhile
        found.update(_lookup(Author, "key", "id", late))
    if known is not None and len(known) < 1_000_000:  # about 150 MB at most
        learned = {key: found[key] for key in unknown}
        # Only once committed: ids from a rolled-back transaction must never be reused.
        transaction.on_commit(lambda: known.update(learned))
    return found


def _replace_authors(pks: dict[str, int], lists: dict[str, PaperRecord], replacing: set[str]) -> None:
    if not lists:
        return
    wanted: dict[str, str] = {}
    for record in lists.values():
        for key, name in record.keyed_authors().items():
            wanted.setdefault(key, name)
    ids = _author_ids(wanted)
    for chunk in _chunks([pks[i] for i in replacing]):
        Authorship.objects.filter(paper_id__in=chunk).delete()
    encoder = Authorship._meta.get_field("details").encoder
    details_json = partial(connection.ops.adapt_json_value, encoder=encoder)
    no_details = details_json({})
    rows = [
        (pks[arxiv_id], ids[key], position, name, details_json(details) if details else no_details)
        for arxiv_id, record in lists.items()
        for position, (name, details) in enumerate(record.author_list(), start=1)
        if (key := author_key(name))
    ]
    # In author order, the author index is written page by page rather than all over.
    rows.sort(key=itemgetter(1))
    _insert_rows(Authorship, ["paper_id", "author_id", "position", "name", "details"], rows)


def _replace_categories(pks: dict[str, int], lists: dict[str, list[str]], replacing: set[str]) -> None:
    if not lists:
        return
    through = Paper.categories.through
    for chunk in _chunks([pks[i] for i in replacing]):
        through.objects.filter(paper_id__in=chunk).delete()
    rows = [(pks[arxiv_id], code) for arxiv_id, codes in lists.items() for code in dict.fromkeys(codes)]
    _insert_rows(through, ["paper_id", "category_id"], rows)


def _org_of(listing) -> dict | None:
    """The organisation a listing's source names (Hugging Face's item `organization`: _id, name,
    fullname, avatar), when it names one a page address can hold."""
    org = listing.details.get("organization") if isinstance(listing.details, dict) else None
    if not isinstance(org, dict):
        return None
    name = org.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= 100 or "/" in name or "\x00" in name:
        return None
    return org


def _organizations(listings: Iterable) -> dict[str, int]:
    """Organization row ids by name for the organisations these listings name: made when new, their
    full name, avatar and Hugging Face id refreshed when the source now says otherwise."""
    wanted: dict[str, dict] = {}
    for listing in listings:
        if (org := _org_of(listing)) is not None:
            wanted[org["name"]] = org  # the batch's last word on it

    def fields(org: dict) -> dict[str, str]:
        avatar = org.get("avatar")
        return {
            "fullname": str(org.get("fullname") or "")[:300],
            "avatar_url": avatar[:500] if isinstance(avatar, str) else "",  # as given: served back so
            "hf_id": str(org.get("_id") or "")[:40],
        }

    found = {o.name: o for o in Organization.objects.filter(name__in=list(wanted))}
    for name, org in wanted.items():
        values = fields(org)
        row = found.get(name)
        if row is None:
            found[name] = Organization.objects.create(name=name, **values)
        elif any(getattr(row, k) != v for k, v in values.items()):
            Organization.objects.filter(pk=row.pk).update(**values)
    return {name: row.pk for name, row in found.items()}


def _listing_values(listing, orgs: dict[str, int]) -> dict[str, object]:
    """What an imported listing carries from its source, refreshed when a newer import differs."""
    org = _org_of(listing)
    return {
        "organization_id": orgs[org["name"]] if org else None,
        "submitter_name": listing.submitter_name,
        "submitter_fullname": listing.submitter_fullname,
        "submitted_at": listing.submitted_at,
        "listed_at": listing.listed_at,
        "title": listing.title,
        "imported_upvotes": listing.upvotes,
        "imported_comments": listing.comments,
        "source_details": listing.details,
    }


def _add_listings(pks: dict[str, int], batch: dict[str, PaperRecord]) -> int:
    wanted = {
        (pks[arxiv_id], listing.day): listing
        for arxiv_id, record in batch.items()
        if arxiv_id in pks
        for listing in record.listings
    }
    if not wanted:
        return 0
    orgs = _organizations(wanted.values())
    existing: dict[tuple[int, object], Listing] = {}
    for chunk in _chunks(list({pk for pk, _ in wanted})):
        existing.update({(row.paper_id, row.day): row for row in Listing.objects.filter(paper_id__in=chunk)})
    new_rows, updated_rows = [], []
    for (paper_id, day), listing in wanted.items():
        row = existing.get((paper_id, day))
        values = _listing_values(listing, orgs)
        if row is None:
            new_rows.append(Listing(paper_id=paper_id, day=day, source=listing.source, **values))
        elif row.source == listing.source == Listing.Source.IMPORT and any(
            getattr(row, name) != value for name, value in values.items()
        ):
            for name, value in values.items():
                setattr(row, name, value)
            updated_rows.append(row)
    Listing.objects.bulk_create(new_rows, batch_size=500, ignore_conflicts=True)
    if updated_rows:
        Listing.objects.bulk_update(updated_rows, list(values), batch_size=500)
    return len(new_rows)
