"""The cold start: a new member tells the site what they read before it has seen them read anything.

- `follow_categories`: the arXiv categories they pick (Follow, kind category);
- `save_pasted`: arXiv ids or links they paste, saved to their library;
- `import_library`: a library exported from Zotero, Mendeley, Google Scholar or EndNote (BibTeX, RIS,
  Zotero CSV; read by recommend.library_files), each entry matched to a catalogued paper by arXiv id,
  then DOI, then title, and the matches saved, all or none.

Papers named by an arXiv id that the catalogue lacks are looked up on arXiv (at most
FETCH_AT_ONCE of them, one request) when SUBMIT_FETCH_FROM_ARXIV allows it, as submissions are.
The rating round that follows is recommend.rating_round.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.db.models.functions import Lower

from dailypapers.core.members import require_member
from dailypapers.papers import arxiv_categories
from dailypapers.papers.arxiv_ids import parse_arxiv_id
from dailypapers.papers.models import Paper, PaperCategory
from dailypapers.recommend.library_files import FORMATS, ParsedLibrary, Reference, read_library
from dailypapers.recommend.models import Follow, Save

log = logging.getLogger("dailypapers.recommend")

FETCH_AT_ONCE = 100  # arXiv ids looked up in one request (arxiv_api.BATCH): a member is waiting
MAX_PASTED = 500  # ids read from one paste
MIN_TITLE_WORDS = 3  # shorter titles ("Introduction", "Deep Learning") name too many papers
SHOWN_NOT_FOUND = 20  # entries named in the summary; the rest are counted
CHUNK = 500  # ids a query asks for at once (SQLite's old limit on a query's parameters was 999)
DOI_CHUNK = 5000  # DOIs have no index: each query reads every paper's, so few large ones

BY_ID, BY_DOI, BY_TITLE = "arXiv id", "DOI", "title"


@dataclass
class ImportSummary:
    """What an import did, for the page that reports it (kept in the session: plain values only)."""

    source: str  # "BibTeX", "RIS", "Zotero CSV" or "pasted"
    entries: int = 0
    matched: dict[str, int] = field(default_factory=dict)  # BY_ID / BY_DOI / BY_TITLE -> count
    saved: int = 0  # newly saved (the rest of the matches were in the library already)
    fetched: int = 0  # of the matches, papers brought from arXiv for this import
    not_found: list[str] = field(default_factory=list)  # the first SHOWN_NOT_FOUND, named
    not_found_count: int = 0
    skipped: list[str] = field(default_factory=list)  # entries that could not be read, and why
    skipped_count: int = 0
    notes: list[str] = field(default_factory=list)  # anything else the member should know

    @property
    def matched_count(self) -> int:
        return sum(self.matched.values())

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportSummary:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


# --- Categories --------------------------------------------------------------------------------


def category_choices() -> list[tuple[str, int]]:
    """Every category a member can follow (arXiv's taxonomy and the catalogue's own codes), with how
    many catalogued papers each has, most first. Counted once an hour: a full pass over the
    papers' categories."""
    counts = cache.get("recommend:category-counts")
    if counts is None:
        counts = dict(
            PaperCategory.objects.values("category_id")
            .annotate(n=Count("paper_id"))
            .values_list("category_id", "n")
        )
        cache.set("recommend:category-counts", counts, 3600)
    codes = set(arxiv_categories.ARXIV_CATEGORIES) | set(counts)
    return sorted(((code, counts.get(code, 0)) for code in codes), key=lambda c: (-c[1], c[0].lower()))


def follow_categories(user: Any, codes: Iterable[str]) -> tuple[list[str], list[str]]:
    """The member follows exactly these categories (those not among them are unfollowed).
    Returns (followed now, codes refused as unknown)."""
    require_member(user, "follow categories")
    wanted: dict[str, str] = {}
    refused = []
    codes = [c.strip() for c in codes if c and c.strip()]
    spelling = arxiv_categories.known(codes)
    for code in codes:
        if code in spelling:
            wanted[spelling[code].lower()] = spelling[code]
        else:
            refused.append(code[:40])
    for code in Follow.objects.filter(user=user, kind=Follow.Kind.CATEGORY).values_list("target", flat=True):
        if code.lower() not in wanted:
            Follow.remove(user, Follow.Kind.CATEGORY, code)
    for code in wanted.values():
        Follow.add(user, Follow.Kind.CATEGORY, code)
    return sorted(wanted.values(), key=str.lower), refused


def followed_categories(user: Any) -> list[str]:
    return list(Follow.objects.filter(user=user, kind=Follow.Kind.CATEGORY).values_list("target", flat=True))


# --- Matching ----------------------------------------------------------------------------------


@dataclass
class Matching:
    papers: dict[int, tuple[Paper, str]] = field(default_factory=dict)  # reference index -> (paper, how)
    missing: list[int] = field(default_factory=list)  # reference indices not matched
    fetched: set[int] = field(default_factory=set)  # paper pks brought from arXiv
    notes: list[str] = field(default_factory=list)


def match_references(references: list[Reference], fetch: bool = True) -> Matching:
    """Each reference's catalogued (visible) paper: by arXiv id, else DOI, else exact title (case,
    accents, punctuation and LaTeX markup aside). Ids the catalogue lacks are looked up on arXiv
    last, when `fetch` and SUBMIT_FETCH_FROM_ARXIV allow it."""
    result = Matching()
    todo = list(range(len(references)))

    by_id = _papers_by_field("arxiv_id", {i for r in references for i in r.arxiv_ids})
    todo = _assign(result, references, todo, BY_ID, lambda r: [by_id.get(i) for i in r.arxiv_ids])

    by_doi = _papers_by_doi({d for i in todo for d in references[i].dois})
    todo = _assign(result, references, todo, BY_DOI, lambda r: [by_doi.get(d) for d in r.dois])

    titled = [i for i in todo if references[i].title]
    if titled:
        by_title = _papers_by_title({references[i].title for i in titled}, result.notes)
        todo = _assign(result, references, todo, BY_TITLE, lambda r: [by_title.get(r.title)])

    wanted = list(dict.fromkeys(i for n in todo for i in references[n].arxiv_ids))
    if wanted and fetch and settings.SUBMIT_FETCH_FROM_ARXIV:
        # Only ids the catalogue lacks altogether: a hidden paper stays unmatched, unasked.
        wanted = [i for i in wanted if i not in _papers_by_field("arxiv_id", set(wanted), visible=False)]
    if wanted and fetch and settings.SUBMIT_FETCH_FROM_ARXIV:
        looked_up = wanted[:FETCH_AT_ONCE]
        if len(wanted) > FETCH_AT_ONCE:
            result.notes.append(
                f"{len(wanted) - FETCH_AT_ONCE} arXiv ids not in this site’s catalogue were not looked up "
                f"on arXiv (at most {FETCH_AT_ONCE} are at once); import the file again to look up more."
            )
        fetched = _fetch_from_arxiv(looked_up, result.notes)
        result.fetched = {p.pk for p in fetched.values()}
        todo = _assign(result, references, todo, BY_ID, lambda r: [fetched.get(i) for i in r.arxiv_ids])
    result.missing = todo
    return result


def _assign(result: Matching, references: list[Reference], todo: list[int], how: str, found) -> list[int]:
    left = []
    for n in todo:
        paper = next((p for p in found(references[n]) if p is not None), None)
        if paper is None:
            left.append(n)
        else:
            result.papers[n] = (paper, how)
    return left


def _papers_by_field(name: str, values: set, visible: bool = True) -> dict[Any, Paper]:
    found: dict[Any, Paper] = {}
    values_list = sorted(values)
    papers = Paper.objects.visible() if visible else Paper.objects.all()
    for start in range(0, len(values_list), CHUNK):
        chunk = values_list[start : start + CHUNK]
        for paper in papers.filter(**{f"{name}__in": chunk}):
            found[getattr(paper, name)] = paper
    return found


def _papers_by_doi(dois: set[str]) -> dict[str, Paper]:
    """Papers by DOI, ignoring case (DOIs are case-insensitive; arXiv keeps the journal's spelling)."""
    found: dict[str, Paper] = {}
    wanted = sorted(dois)
    for start in range(0, len(wanted), DOI_CHUNK):
        chunk = wanted[start : start + DOI_CHUNK]
        qs = Paper.objects.visible().exclude(doi="").annotate(doi_key=Lower("doi")).filter(doi_key__in=chunk)
        for paper in qs.order_by("id"):
            found.setdefault(paper.doi_key, paper)
    return found


def _title_variants(title: str) -> list[str]:
    """The title as written, and with its LaTeX markup turned into text ("Caf{\\'e}" -> "Café"):
    arXiv's titles are LaTeX too, so either may be the one the catalogue spells alike."""
    variants = [title.replace("{", "").replace("}", "")]
    if "\\" in title or "$" in title:
        try:
            from pylatexenc.latex2text import LatexNodes2Text

            variants.append(LatexNodes2Text(math_mode="text").latex_to_text(title))
        except Exception:  # markup it cannot read: the title as written is still tried
            pass
    return variants


def _papers_by_title(titles: set[str], notes: list[str]) -> dict[str, Paper]:
    """Papers whose whole title is one of `titles`, found by the search index's exact-title field
    (keyed as search.lexical.title_key reduces a title). A title that several visible papers carry
    matches none of them: which one was meant cannot be told."""
    from dailypapers.search.instance import get_engine
    from dailypapers.search.lexical import title_key

    try:
        lexical = get_engine().lexical
    except Exception as exc:  # a broken index must not stop the ids and DOIs from being saved
        log.warning("onboarding: the search index could not be opened: %s", exc)
        lexical = None
    if lexical is None:
        notes.append("Titles could not be matched: the search index is not built yet.")
        return {}
    ids_of: dict[str, list[int]] = {}
    for title in titles:
        for variant in _title_variants(title):
            if len(title_key(variant).split()) < MIN_TITLE_WORDS:
                continue
            ids = lexical.exact_title(variant)
            if ids:
                ids_of[title] = ids
                break
    wanted = {i for ids in ids_of.values() for i in ids}
    papers = _papers_by_field("id", wanted) if wanted else {}
    found: dict[str, Paper] = {}
    for title, ids in ids_of.items():
        visible = [papers[i] for i in ids if i in papers]
        if len(visible) == 1:
            found[title] = visible[0]
    return found


def _fetch_from_arxiv(ids: list[str], notes: list[str]) -> dict[str, Paper]:
    """The papers arXiv has among `ids`, brought into the catalogue (one request)."""
    from dailypapers.sources import arxiv_api
    from dailypapers.sources.fetching import Fetcher, SourceError
    from dailypapers.sources.ingest import upsert

    # A member is waiting: one quick retry, not the harvesters' patient backoff (as submissions).
    fetcher = Fetcher(retries=1, backoff=1, max_wait=10, timeout=20)
    try:
        records = arxiv_api.lookup(fetcher, ids)
    except SourceError as exc:
        log.warning("onboarding: arXiv lookup of %d ids failed: %s", len(ids), exc)
        notes.append(
            f"arXiv could not be reached to look up {len(ids)} id{'s' if len(ids) != 1 else ''} "
            "this site does not have yet; try again in a few minutes."
        )
        return {}
    finally:
        fetcher.close()
    if records:
        upsert(records)
    return _papers_by_field("arxiv_id", {r.arxiv_id for r in records})


# --- Saving ------------------------------------------------------------------------------------


def _save(user: Any, references: list[Reference], summary: ImportSummary, fetch: bool) -> ImportSummary:
    require_member(user, "save papers")
    matching = match_references(references, fetch=fetch)
    papers = [paper for paper, _ in matching.papers.values()]
    summary.saved = Save.add_many(user, papers)  # all or none
    summary.matched = dict(Counter(how for _, how in matching.papers.values()))
    summary.fetched = len({p.pk for p in papers} & matching.fetched)
    summary.not_found_count = len(matching.missing)
    summary.not_found = [references[n].label for n in matching.missing[:SHOWN_NOT_FOUND]]
    summary.notes.extend(matching.notes)
    log.info(
        "onboarding: %s imported %d of %d entries (%s), %d new saves",
        user.get_username(),
        summary.matched_count,
        summary.entries,
        summary.source,
        summary.saved,
    )
    return summary


def import_library(user: Any, data: bytes, filename: str = "", fetch: bool = True) -> ImportSummary:
    """Read an exported library and save every entry found in the catalogue, all or none.
    LibraryFileError (a ValueError with the member's message) when the file cannot be read."""
    require_member(user, "import a library")
    parsed: ParsedLibrary = read_library(data, filename)
    summary = ImportSummary(
        source=FORMATS[parsed.format],
        entries=len(parsed.references),
        skipped=parsed.skipped[:SHOWN_NOT_FOUND],
        skipped_count=len(parsed.skipped),
    )
    return _save(user, parsed.references, summary, fetch)


_SEPARATORS = re.compile(r"[\s,;]+")


def save_pasted(user: Any, text: str, fetch: bool = True) -> ImportSummary:
    """Save the papers that pasted arXiv ids or links name (any form `parse_arxiv_id` reads,
    separated by spaces, commas or lines). ValidationError when nothing pasted is an id."""
    require_member(user, "save papers")
    tokens = [t.strip("<>()[]\"'") for t in _SEPARATORS.split(text or "") if t.strip("<>()[]\"'")]
    if not tokens:
        raise ValidationError("Paste at least one arXiv id or link.", code="empty")
    references: list[Reference] = []
    unread: list[str] = []
    for token in dict.fromkeys(tokens):
        ref = parse_arxiv_id(token)
        if ref is None:
            unread.append(token[:80])
        else:
            references.append(Reference(label=ref.id, arxiv_ids=[ref.id]))
    references = list({r.arxiv_ids[0]: r for r in references}.values())
    if not references:
        raise ValidationError(
            "None of that is an arXiv id or link. Paste ids such as 2401.12345 or links such as "
            "https://arxiv.org/abs/2401.12345, one a line.",
            code="no_ids",
        )
    if len(references) > MAX_PASTED:
        raise ValidationError(
            f"At most {MAX_PASTED} ids can be pasted at once ({len(references)} were); upload a BibTeX "
            "file for a larger library.",
            code="too_many",
        )
    summary = ImportSummary(
        source="pasted",
        entries=len(references),
        skipped=[f"“{t}” is not an arXiv id or link" for t in unread[:SHOWN_NOT_FOUND]],
        skipped_count=len(unread),
    )
    return _save(user, references, summary, fetch)
