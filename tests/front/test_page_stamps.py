"""Finer content stamps and single renders (core.pagecache, papers.stamps), in this process with its
local-memory cache and real commits: a vote, a comment or a new listing renews at once the pages that
show it and leaves the other pages' copies standing; while one request renders a page anew, the others
asking for it get the copy from before (marked stale), and none does once that render is done. Across
processes and nodes: tests/front/test_page_cache.py and test_nodes.py."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.signals import template_rendered

from dailypapers.community.models import Comment, Upvote
from dailypapers.core import pagecache
from dailypapers.papers.models import Paper
from dailypapers.papers.periods import Period
from tests.support.factories import add_paper, add_user

JUNE, MAY = dt.date(2026, 6, 19), dt.date(2026, 5, 4)
FIRST, SECOND, OTHER = "2606.00001", "2606.00002", "2605.00003"


def periods(day: dt.date) -> list[str]:
    return [Period.containing(kind, day).url() for kind in ("day", "week", "month")]


# What shows FIRST (on the feed of JUNE, the latest day: the home page's), and what shows OTHER (MAY).
FIRST_PAGES = [
    f"/papers/{FIRST}",
    "/",
    *periods(JUNE),
    f"/api/papers/{FIRST}",
    f"/api/papers/{FIRST}/comments",
    f"/papers/{FIRST}.md",
    f"/api/daily_papers?date={JUNE}",
    f"/feeds/daily/{JUNE}.rss",
    "/feeds/daily.rss",
]
OTHER_PAGES = [
    f"/papers/{OTHER}",
    *periods(MAY),
    f"/api/papers/{OTHER}",
    f"/api/papers/{OTHER}/comments",
    f"/api/daily_papers?date={MAY}",
    f"/feeds/daily/{MAY}.rss",
]
# Pages that name no finer stamp: every change renews them.
COARSE_PAGES = ["/papers/trending", "/api/daily_papers", "/feeds/trending.rss"]


@pytest.fixture
def site(transactional_db, settings):
    settings.PAGE_CACHE_SECONDS = 60
    settings.API_READ_RATE = ""
    cache.clear()
    add_paper(FIRST, "The first paper", day=JUNE)
    add_paper(SECOND, "The second paper", day=JUNE)
    add_paper(OTHER, "Another month's paper", day=MAY)
    yield add_user("ada")
    cache.clear()


def states(client: Client, pages: list[str]) -> dict[str, str]:
    """Each page's X-Cache (after checking that it answered)."""
    found = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        found[page] = response["X-Cache"]
    return found


def shared(page: str) -> bool:
    """The same answer for every reader (the API, feeds, Markdown)."""
    return page.startswith(("/api/", "/feeds/")) or page.endswith(".md")


def kept(client: Client, pages: list[str]) -> None:
    """Every page is stored: asked twice, the second answer is the stored copy."""
    states(client, pages)
    assert set(states(client, pages).values()) == {"hit"}


def test_a_change_renews_the_pages_that_show_it_and_no_other(site):
    ada = site
    anonymous = Client(HTTP_HOST="127.0.0.1")  # served by SharedPageMiddleware
    member = Client(HTTP_HOST="127.0.0.1")  # copies of her own, served by the views
    member.force_login(ada)
    pages = FIRST_PAGES + OTHER_PAGES + [f"/papers/{SECOND}"] + COARSE_PAGES
    for client in (anonymous, member):
        kept(client, pages)

    Upvote.toggle(ada, Paper.objects.get(arxiv_id=FIRST), on=True)
    renewed = FIRST_PAGES + COARSE_PAGES
    assert states(anonymous, renewed) == dict.fromkeys(renewed, "miss")
    # Her own copies of the site's pages; the API's and feeds' are everyone's, renewed just now.
    assert states(member, renewed) == {page: "hit" if shared(page) else "miss" for page in renewed}
    for client in (anonymous, member):
        assert set(states(client, OTHER_PAGES + [f"/papers/{SECOND}"]).values()) == {"hit"}
    for page in (f"/papers/{FIRST}", f"/papers/date/{JUNE}", "/"):
        assert re.search(
            rf'{FIRST}/upvote.*?data-testid="vote-count">1<', anonymous.get(page).text, re.DOTALL
        )
        marked = re.search(rf'{FIRST}/upvote.*?aria-pressed="(\w+)"', member.get(page).text, re.DOTALL)
        assert marked[1] == "true", page
    assert json.loads(anonymous.get(f"/api/papers/{FIRST}").content)["upvotesHere"] == 1

    # A comment on the other paper: its pages, not the first's.
    Comment.post(ada, Paper.objects.get(arxiv_id=OTHER), "Worth a look")
    assert set(states(anonymous, OTHER_PAGES + COARSE_PAGES).values()) == {"miss"}
    assert set(states(anonymous, FIRST_PAGES).values()) == {"hit"}
    assert "Worth a look" in anonymous.get(f"/papers/{OTHER}").text
    assert "Worth a look" in anonymous.get(f"/api/papers/{OTHER}/comments").text

    # A new listing (an import, bulk writes): every page.
    add_paper("2606.00009", "A newcomer", day=MAY)
    assert set(states(anonymous, pages).values()) == {"miss"}
    assert "A newcomer" in anonymous.get(f"/papers/date/{MAY}").text


class Render:
    """Holds the next render of the feed template in another thread until released."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self.thread_id: int | None = None
        template_rendered.connect(self.hold)

    def hold(self, sender, template, **kwargs) -> None:
        if template.name == "front/feed.html" and threading.get_ident() == self.thread_id:
            self.started.set()
            assert self.release.wait(30)

    def ask(self, path: str) -> threading.Thread:
        answers = self.answers = []

        def run() -> None:
            self.thread_id = threading.get_ident()
            try:
                answers.append(Client(HTTP_HOST="127.0.0.1").get(path))
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        assert self.started.wait(30), "the render never started"
        return thread

    def close(self) -> None:
        template_rendered.disconnect(self.hold)


def count(response) -> str:
    return re.search(rf'{FIRST}/upvote.*?data-testid="vote-count">(\d+)<', response.text, re.DOTALL)[1]


def test_while_one_request_renders_a_page_anew_the_others_get_the_copy_before(site):
    ada, bob = site, add_user("bob")
    reader = Client(HTTP_HOST="127.0.0.1")
    feed = f"/papers/date/{JUNE}"
    kept(reader, [feed, f"/papers/date/{MAY}"])
    render = Render()
    try:
        Upvote.toggle(ada, Paper.objects.get(arxiv_id=FIRST), on=True)
        rendering = render.ask(feed)  # claims the copy and renders it, held in its template
        during = [reader.get(feed) for _ in range(3)]
        assert [(r["X-Cache"], count(r)) for r in during] == [("stale", "0")] * 3
        assert reader.get(f"/papers/date/{MAY}")["X-Cache"] == "hit"  # other pages as they were
        # A vote while the render is under way (its stamps were read before): that copy is not the
        # last word, the next request renders again.
        Upvote.toggle(bob, Paper.objects.get(arxiv_id=FIRST), on=True)
        render.release.set()
        rendering.join(30)
    finally:
        render.release.set()
        render.close()
    (rendered,) = render.answers
    assert (rendered["X-Cache"], count(rendered)) == ("miss", "1")
    after = [reader.get(feed) for _ in range(3)]
    assert [(r["X-Cache"], count(r)) for r in after] == [("miss", "2"), ("hit", "2"), ("hit", "2")]


def test_a_render_that_shares_nothing_leaves_no_copy_to_stand_in(site):
    """A paper hidden: its page is a 404 now, which is not kept, and the 200 from before is dropped, so
    no later request can be given it as a stale copy."""
    reader = Client(HTTP_HOST="127.0.0.1")
    pages = [f"/papers/{FIRST}", f"/api/papers/{FIRST}"]  # the API's 404 is raised
    kept(reader, pages)
    keys = [
        pagecache._key(RequestFactory(HTTP_HOST="127.0.0.1").get(page), 0, shortcut=True) for page in pages
    ]
    assert all(pagecache._cache_get(key) is not None for key in keys)
    Paper.objects.filter(arxiv_id=FIRST).update(hidden=True)  # no model signal: moved by hand
    pagecache.bump()
    for page in pages:
        assert reader.get(page).status_code == 404
    assert all(pagecache._cache_get(key) is None for key in keys)
