"""GitHub stars of the repositories papers link to, read through GitHub's REST API
(GET /repos/{owner}/{repo}, its `stargazers_count`), politely.

- Each repository is checked every DAILYPAPERS_STARS_RECHECK_HOURS, claimed first by a conditional
  UPDATE (CodeRepository.objects.claim), so two workers never fetch the same one.
- Requests are conditional (If-None-Match with the ETag of the last answer): an unchanged
  repository answers 304, which GitHub does not count against the rate limit.
- When the limit is spent (X-RateLimit-Remaining: 0, or a 403/429 that says so, or Retry-After),
  the pass stops at once and says when to resume (X-RateLimit-Reset, Retry-After); the claim of the
  repository in hand is given back, so it is checked first then.
- 404: the repository is gone or private; its papers keep the link, without stars, and it is looked
  at again after a week. A renamed or transferred repository (GitHub answers 301 to the
  /repositories/{id} address; the client follows) is recorded under its new name: the papers' links
  follow it.
- One day's last count is kept per repository (StarCount): trending by star growth reads it.
- The pages that show changed stars are renewed with one stamp bump for the whole pass.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from dailypapers.core import pagecache
from dailypapers.papers import code_links, stamps
from dailypapers.papers.models import CodeRepository, Paper, StarCount
from dailypapers.papers.signals import CODE, catalogue_changed_on_commit, news_on_commit
from dailypapers.sources.fetching import _retry_after, user_agent

log = logging.getLogger("dailypapers.sources")

# How long a worker holds a repository it is checking: one request, with room for a slow answer.
CLAIM_SECONDS = 120
# When to look again at a repository that answered 404, and after a failure (a 5xx, no answer).
MISSING_RECHECK = dt.timedelta(days=7)
FAILED_RECHECK = dt.timedelta(hours=1)
# A 403 that names no limit is GitHub's secondary rate limit: its documents say to wait a minute.
SECONDARY_WAIT = 60.0
# Beyond this many pages' stamps, one pass renews every page instead (one `site` bump).
MAX_STAMPS = 2000


class RateLimited(Exception):
    """GitHub asks us to stop until `until` (epoch seconds)."""

    def __init__(self, until: float, why: str) -> None:
        super().__init__(why)
        self.until = until


@dataclasses.dataclass
class Answer:
    """What GitHub said of one repository."""

    kind: str  # "stars", "same" (304), "missing" (404), "failed"
    stars: int | None = None
    etag: str = ""
    url: str = ""  # the repository's address as GitHub gives it (html_url): differs when renamed
    # The limit is spent after this answer: resume at this moment (epoch seconds).
    spent_until: float | None = None


class GitHub:
    """The REST API, through one httpx client (connection reuse, timeouts, redirects followed)."""

    def __init__(self, base_url: str | None = None, token: str | None = None) -> None:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": user_agent(),
        }
        token = settings.GITHUB_TOKEN if token is None else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.Client(
            base_url=(base_url or settings.GITHUB_API_URL).rstrip("/"),
            headers=headers,
            timeout=30.0,
            follow_redirects=True,  # 301 to /repositories/{id} for a renamed repository
        )

    def close(self) -> None:
        self.client.close()

    def repository(self, owner: str, name: str, etag: str = "") -> Answer:
        """The repository's stars; RateLimited when GitHub asks us to wait."""
        headers = {"If-None-Match": etag} if etag else {}
        try:
            response = self.client.get(f"/repos/{owner}/{name}", headers=headers)
        except httpx.HTTPError as exc:
            log.warning("GitHub %s/%s: %s: %s", owner, name, type(exc).__name__, exc)
            return Answer("failed")
        now = time.time()
        status = response.status_code
        remaining = response.headers.get("X-RateLimit-Remaining")
        reset = _number(response.headers.get("X-RateLimit-Reset"))
        if status in (403, 429):
            wait = _retry_after(response.headers.get("Retry-After"), now)
            if wait is not None:
                raise RateLimited(now + wait, f"HTTP {status}, Retry-After {wait:.0f} s")
            if remaining == "0" and reset is not None:
                raise RateLimited(max(reset, now), f"HTTP {status}, rate limit spent")
            if status == 429 or "rate limit" in response.text.lower():
                raise RateLimited(now + SECONDARY_WAIT, f"HTTP {status}, secondary rate limit")
        spent = max(reset, now) if remaining == "0" and reset is not None else None
        if status == 304:
            return Answer("same", etag=etag, spent_until=spent)
        if status in (404, 410, 451):
            return Answer("missing", spent_until=spent)
        if status == 200:
            try:
                data = response.json()
                stars = int(data["stargazers_count"])
            except (ValueError, KeyError, TypeError):
                log.warning("GitHub %s/%s: an answer without stargazers_count", owner, name)
                return Answer("failed", spent_until=spent)
            url = data.get("html_url") if isinstance(data.get("html_url"), str) else ""
            return Answer("stars", max(stars, 0), response.headers.get("ETag", ""), url, spent)
        log.warning("GitHub %s/%s: HTTP %s", owner, name, status)
        return Answer("failed", spent_until=spent)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclasses.dataclass
class PassResult:
    checked: int = 0
    changed: int = 0  # repositories whose stars changed
    not_modified: int = 0  # 304s
    missing: int = 0
    moved: int = 0
    failed: int = 0
    held: int = 0  # claimed by another worker meanwhile
    resume_at: float | None = None  # rate limited: no request before this moment (epoch seconds)
    paper_ids: set[int] = dataclasses.field(default_factory=set, repr=False)


def discover(now: dt.datetime | None = None) -> int:
    """A CodeRepository, due at once, for each address papers link to that has none yet."""
    now = now or timezone.now()
    known = CodeRepository.objects.filter(url=OuterRef("github_repo"))
    urls = (
        Paper.objects.exclude(github_repo="")
        .filter(~Exists(known))
        .order_by()
        .values_list("github_repo", flat=True)
        .distinct()
    )
    rows = [CodeRepository(url=url, next_check_at=now) for url in urls]
    CodeRepository.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return len(rows)


def refresh_due(
    github: GitHub | None = None,
    *,
    limit: int | None = None,
    stop: threading.Event | None = None,
    report: Callable[[str], object] | None = None,
) -> PassResult:
    """One pass: check the repositories that are due (at most `limit`), until GitHub says to wait."""
    own = github is None
    github = github or GitHub()
    result = PassResult()
    try:
        discover()
        due = CodeRepository.objects.due(timezone.now()).order_by("next_check_at", "pk")
        for pk in list(due.values_list("pk", flat=True)[: limit or settings.STARS_PER_PASS]):
            if stop is not None and stop.is_set():
                break
            if not CodeRepository.objects.claim(pk, timezone.now(), CLAIM_SECONDS):
                result.held += 1
                continue
            repo = CodeRepository.objects.get(pk=pk)
            try:
                answer = _ask(github, repo)
            except RateLimited as exc:
                CodeRepository.objects.filter(pk=pk).update(claimed_until=None)  # first in line again
                result.resume_at = exc.until
                log.warning("GitHub: %s; resuming in %.0f s", exc, exc.until - time.time())
                break
            _record(repo, answer, result)
            if report:
                stars = f" ★{answer.stars}" if answer.stars is not None else ""
                report(f"{repo.url}: {answer.kind}{stars}")
            if answer.spent_until is not None:
                result.resume_at = answer.spent_until
                break
    finally:
        if own:
            github.close()
        _renew_pages(result.paper_ids)
    return result


def _ask(github: GitHub, repo: CodeRepository) -> Answer:
    link = code_links.normalise(repo.url)
    if link is None:  # not a GitHub repository (an imported link to GitLab, say): nothing to ask
        return Answer("missing")
    owner, name = link.removeprefix("https://github.com/").split("/")
    return github.repository(owner, name, repo.etag)


def _record(repo: CodeRepository, answer: Answer, result: PassResult) -> None:
    """Store what GitHub said of `repo` and pass the stars on to its papers; releases the claim."""
    now = timezone.now()
    result.checked += 1
    with transaction.atomic():
        if answer.kind == "failed":
            result.failed += 1
            CodeRepository.objects.filter(pk=repo.pk).update(
                claimed_until=None, next_check_at=now + FAILED_RECHECK
            )
            return
        if answer.kind == "missing":
            result.missing += 1
            CodeRepository.objects.filter(pk=repo.pk).update(
                claimed_until=None, checked_at=now, next_check_at=now + MISSING_RECHECK, missing=True, etag=""
            )
            _set_paper_stars(repo.url, None, result)
            return
        stars = repo.stars if answer.kind == "same" else answer.stars
        if answer.kind == "same":
            result.not_modified += 1
        elif stars != repo.stars:
            result.changed += 1
        recheck = now + dt.timedelta(hours=settings.STARS_RECHECK_HOURS)
        values = {"claimed_until": None, "checked_at": now, "next_check_at": recheck, "missing": False}
        if answer.kind == "stars":
            values |= {"stars": stars, "etag": answer.etag[:200]}
        renamed = code_links.normalise(answer.url) if answer.url else None
        if renamed and renamed.lower() != (code_links.normalise(repo.url) or repo.url).lower():
            repo = _move(repo, renamed, result)
        CodeRepository.objects.filter(pk=repo.pk).update(**values)
        if stars is not None:
            StarCount.objects.update_or_create(repository=repo, day=now.date(), defaults={"stars": stars})
            _set_paper_stars(repo.url, stars, result)


def _move(repo: CodeRepository, url: str, result: PassResult) -> CodeRepository:
    """`repo` is now at `url` (renamed or transferred): its papers link there, its row names it (or
    gives way to the row that already does)."""
    result.moved += 1
    log.info("GitHub: %s moved to %s", repo.url, url)
    papers = Paper.objects.filter(github_repo=repo.url)
    moved = set(papers.values_list("pk", flat=True))
    papers.update(github_repo=url)
    result.paper_ids |= moved
    catalogue_changed_on_commit(moved)
    existing = CodeRepository.objects.filter(url=url).first()
    if existing is not None:
        repo.delete()
        return existing
    CodeRepository.objects.filter(pk=repo.pk).update(url=url)
    repo.url = url
    return repo


def _set_paper_stars(url: str, stars: int | None, result: PassResult) -> None:
    papers = Paper.objects.filter(github_repo=url).exclude(
        Q(github_stars__isnull=True) if stars is None else Q(github_stars=stars)
    )
    ids = list(papers.values_list("pk", flat=True))
    if ids:
        Paper.objects.filter(pk__in=ids).update(github_stars=stars)
        result.paper_ids.update(ids)


def _renew_pages(paper_ids: set[int]) -> None:
    """One bump for the pass: the pages of the papers whose stars or link changed, and the feeds
    they are listed on (their cards show the stars)."""
    if not paper_ids:
        return
    names: set[str] = set()
    for pk in paper_ids:
        names |= stamps.of_paper(pk)
        if len(names) > MAX_STAMPS:
            pagecache.bump()
            return
    pagecache.bump(*names)


def fill_links_from_text(report: Callable[[str], object] | None = None) -> int:
    """Give the papers already in the catalogue the repository their abstract or comments name,
    by the precedence ingestion applies (never over a given link). The number of papers changed."""
    texts = Q(abstract__icontains="github") | Q(arxiv_comments__icontains="github")
    candidates = Paper.objects.filter(texts).exclude(github_repo_origin=code_links.GIVEN, github_repo__gt="")
    changed: list[Paper] = []
    first_code: list[int] = []  # watchers hear of code that appears (papers.signals)
    fields = ("abstract", "arxiv_comments", "github_repo", "github_repo_origin", "github_stars")
    for paper in candidates.only("id", *fields).iterator(chunk_size=2000):
        found = code_links.find_in_paper(paper.abstract, paper.arxiv_comments)
        had_code = bool(paper.github_repo)
        if found and paper.offer_github_repo(*found):
            changed.append(paper)
            if not had_code:
                first_code.append(paper.pk)
    for start in range(0, len(changed), 500):
        Paper.objects.bulk_update(
            changed[start : start + 500], ["github_repo", "github_repo_origin", "github_stars"]
        )
    if changed:
        pagecache.bump()
        catalogue_changed_on_commit({paper.pk for paper in changed})  # "has code" is a search filter
        news_on_commit(CODE, first_code)
        if report:
            report(f"{len(changed)} paper(s) got a repository link from their text")
    return len(changed)
