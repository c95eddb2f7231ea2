"""Which content stamps (core.pagecache) a change moves, and which ones a shared page reads.

A shared page is renewed when one of the stamps it read moves. The finer stamps are named here:

    change                                         moves
    a vote or a comment on paper P                  paper:P, and day:, week: and month: of each
    (community's Upvote, Comment)                   day P is listed on
    anything else watched: papers, listings,        site (every page that names finer stamps
    authors, categories, members, imports           reads it)
    every change, including the above               pages

    page                                            reads
    a paper page, its API answer, comments, .md     site, paper:P
    a day, week or month feed, as a page, through   site, the period's stamp
    the API (date=, week=, month=) or RSS
    the home page and the latest daily RSS          site, day: of the latest day
    any other shared page (trending, the API's      pages
    lists, category and member feeds)

What moves with `site` alone (the day of the home page, previous/next links, a title, a name) is
never cheap to tell apart, so it renews every page: better too often than a stale page. A view
names its stamps with `pagecache.depends_on(request, ...)` *before* it reads what they stand for.
"""

from __future__ import annotations

from dailypapers.papers.models import Paper
from dailypapers.papers.periods import Period

KINDS = ("day", "week", "month")


def paper(arxiv_id: str) -> str:
    """The stamp of a paper's own pages, by its arXiv id (known from the address before any read)."""
    return f"paper:{arxiv_id}"


def period(period: Period) -> str:
    """The stamp of a day, week or month feed."""
    return f"{period.kind}:{period.slug}"


def of_paper(paper_id: int) -> set[str]:
    """What a vote or comment on this paper moves: its page, and every feed period it is listed in
    (its card shows the counts there). Empty when the paper is gone (the caller then moves `site`)."""
    names: set[str] = set()
    for arxiv_id, day in Paper.objects.filter(pk=paper_id).values_list("arxiv_id", "listings__day"):
        names.add(paper(arxiv_id))
        if day is not None:
            names.update(period(p) for kind in KINDS if (p := Period.containing(kind, day)) is not None)
    return names


def of_row(row) -> set[str]:
    """`of_paper` for a row that points at a paper (an Upvote, a Comment): for `pagecache.watch`."""
    return of_paper(row.paper_id)
