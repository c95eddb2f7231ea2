"""A paper's code: its GitHub repository as one address, found in the text its authors wrote, and
its stars written short.

Papers name their code in the abstract ("Code is available at https://github.com/owner/repo.") or
in arXiv's comments field ("Code: github.com/owner/repo"). Only a repository counts: a user or
organisation page (github.com/owner), a gist, or GitHub's own pages (github.com/features/...) say
nothing about this paper's code.
"""

from __future__ import annotations

import re

# Where a repository address came from, best first (Paper.github_repo_origin). A given link (the
# submitter's, or an imported site's) is never replaced by one found in the text.
GIVEN = ""
ABSTRACT = "abstract"
COMMENTS = "comments"
RANK = {GIVEN: 0, ABSTRACT: 1, COMMENTS: 2}

# github.com paths whose first part is GitHub's own, never an owner.
_RESERVED = {
    "about", "apps", "blog", "collections", "contact", "customer-stories", "enterprise", "events",
    "explore", "features", "gist", "issues", "login", "marketplace", "new", "notifications", "orgs",
    "pricing", "pulls", "search", "security", "settings", "site", "sponsors", "topics", "trending",
    "users",
}  # fmt: skip
_OWNER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
# An address in running text, with or without a scheme or "www.", but not another host's under
# github.com (gist.github.com, api.github.com). The path runs to the first character that cannot
# be in an owner or a name: a query, a fragment, a deeper path, a closing bracket are left out.
_IN_TEXT = re.compile(
    r"(?<![\w.-])(?:https?://)?(?:www\.)?github\.com/+([A-Za-z0-9-]+)/+([A-Za-z0-9._-]+)", re.IGNORECASE
)


def repo_url(owner: str, name: str) -> str | None:
    """https://github.com/<owner>/<name>, or None when these cannot name a repository."""
    name = name.rstrip(".")  # a sentence's end, not the name's
    name = name.removesuffix(".git").rstrip(".")
    if not _OWNER.fullmatch(owner) or owner.lower() in _RESERVED or owner.endswith("-"):
        return None
    if not name or not _NAME.fullmatch(name) or name in {".", ".."}:
        return None
    return f"https://github.com/{owner}/{name}"


def normalise(url: str) -> str | None:
    """A GitHub repository address as https://github.com/<owner>/<repo> (no .git, no trailing
    punctuation, query, fragment or deeper path); None when it names no repository."""
    match = _IN_TEXT.match(url.strip())
    return repo_url(match.group(1), match.group(2)) if match else None


def find_in_text(text: str) -> str | None:
    """The first GitHub repository the text names, normalised; None when it names none."""
    # Most abstracts name no GitHub address at all: a substring test skips them many times faster.
    if not text or "github.com" not in text.lower():
        return None
    for match in _IN_TEXT.finditer(text):
        if url := repo_url(match.group(1), match.group(2)):
            return url
    return None


def find_in_paper(abstract: str | None, comments: str | None) -> tuple[str, str] | None:
    """(address, origin) of the repository the abstract names, else the comments; None if neither."""
    for origin, text in ((ABSTRACT, abstract), (COMMENTS, comments)):
        if text and (url := find_in_text(text)):
            return url, origin
    return None


def replaces(current: str, current_origin: str, offered: str, origin: str) -> bool:
    """Whether a repository found or given (`offered`, from `origin`) replaces a paper's `current`
    one: a given link replaces anything; a found one only an empty link or one found in a place of
    lower or equal rank (abstract before comments); never a given link."""
    if not offered or offered == current:
        return False
    if origin == GIVEN or not current:
        return True
    if current_origin == GIVEN:
        return False
    return RANK[origin] <= RANK.get(current_origin, 0)


def short_count(count: int) -> str:
    """A star count as a badge writes it: 999, 1.2k, 12k, 1.2M (rounded down, never up to a
    figure the repository has not reached)."""
    if count < 1000:
        return str(count)
    for size, unit in ((1_000_000, "M"), (1000, "k")):
        if count >= size:
            whole = count // size
            if whole >= 10:
                return f"{whole}{unit}"
            tenth = (count % size) * 10 // size
            return f"{whole}.{tenth}{unit}" if tenth else f"{whole}{unit}"
    return str(count)  # pragma: no cover - the loop always returns
