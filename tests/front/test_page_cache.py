"""Shared pages (core.pagecache) end to end: the real server with two worker processes, each keeping its
own copies in local memory. Every change a reader can see (an edit, a vote, a comment, a new listing, a
moderator hiding a paper) shows on the next request of every cached page, whichever process answers
(requests that come while the new copy is being rendered get the one before, marked stale); no
member's vote marks, name or CSRF token reach another reader; the answers say how to cache them.
The finer stamps and the renders themselves: tests/core/test_page_stamps.py."""

from __future__ import annotations

import http.cookiejar
import json
import re
import textwrap
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.served import prepared_site

PASSWORD = "a long and unusual passphrase"
DAY = "2026-06-19"
FIRST, SECOND, NEWCOMER = "2606.00001", "2606.00002", "2606.00003"
PAGES = [
    "/",
    f"/papers/date/{DAY}",
    "/papers/week/2026-W25",
    "/papers/month/2026-06",
    f"/papers/{FIRST}",
    f"/api/daily_papers?date={DAY}",
    f"/api/papers/{FIRST}",
    f"/feeds/daily/{DAY}.rss",
]
FEEDS = [page for page in PAGES if page != f"/papers/{FIRST}" and page != f"/api/papers/{FIRST}"]
# Each page asked this often at once: with two processes answering, both serve (and keep) copies.
ASKS = 8

SEED = textwrap.dedent(
    f"""
    import datetime as dt
    from django.contrib.auth import get_user_model
    from dailypapers.accounts.models import Profile
    from tests.support.factories import add_paper
    day = dt.date.fromisoformat({DAY!r})
    add_paper({FIRST!r}, "Original title of the first", day=day)
    add_paper({SECOND!r}, "Title of the second", day=day, votes=100)
    for name in ("ada", "bob", "mod"):
        user = get_user_model().objects.create_user(name, name + "@example.org", {PASSWORD!r})
        Profile.objects.create(user=user, email_verified=True)
    get_user_model().objects.filter(username="mod").update(is_staff=True, is_superuser=True)
    """
)


class Reader:
    """A browser of its own: cookies kept, redirects followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, str]:
        return self._open(urllib.request.Request(self.base + path, headers=headers or {}))

    def post(self, path: str, data: dict[str, str], referer: str = "") -> tuple[int, dict, str]:
        body = urllib.parse.urlencode(data).encode()
        headers = {"Referer": self.base + (referer or path)}
        return self._open(urllib.request.Request(self.base + path, data=body, headers=headers))

    def _open(self, request: urllib.request.Request) -> tuple[int, dict, str]:
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read().decode()

    def token(self, page: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def sign_in(self, name: str) -> None:
        _, _, page = self.get("/accounts/login")
        status, _, page = self.post(
            "/accounts/login",
            {"username": name, "password": PASSWORD, "csrfmiddlewaretoken": self.token(page)},
        )
        assert status == 200 and f'data-testid="signed-in-as">{name}<' in page


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("page-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAILYPAPERS_API_READ_RATE", "0/m")  # no limit: this test reads the API often
        with prepared_site(home, "--workers", "2", demo=False) as served:
            served.command("shell", "-c", SEED)
            yield served


def everywhere(site, pages: list[str], reader: Reader | None = None) -> dict[str, list[str]]:
    """Each page's bodies over ASKS requests sent together (so that both processes answer some), then
    ASKS more sent one at a time. While one request renders a page anew, those asking with it may get
    the copy from before, marked `X-Cache: stale`: those are left out. A request sent alone, after
    them, never gets one (no render is under way): it has the latest."""
    reader = reader or Reader(site.url)
    bodies = {}
    with ThreadPoolExecutor(ASKS) as pool:
        for page in pages:
            answers = list(pool.map(reader.get, [page] * ASKS))
            alone = [reader.get(page) for _ in range(ASKS)]
            for status, headers, body in answers + alone:
                assert status == 200, (page, status, body[:300])
                assert headers["X-Cache"] in ("hit", "miss", "stale"), page
            assert all(headers["X-Cache"] != "stale" for _, headers, _ in alone), page
            assert any(headers["X-Cache"] != "stale" for _, headers, _ in answers), page
            bodies[page] = [body for _, headers, body in answers + alone if headers["X-Cache"] != "stale"]
    return bodies


def assert_everywhere(site, pages: list[str], text: str, present: bool = True) -> None:
    for page, bodies in everywhere(site, pages).items():
        for body in bodies:
            assert (text in body) == present, f"{text!r} {'missing from' if present else 'still on'} {page}"


def vote_marks(page: str) -> dict[str, str]:
    """arXiv id -> aria-pressed of its vote button, on a feed page."""
    return dict(re.findall(r'action="/papers/([^"]+)/upvote".*?aria-pressed="(true|false)"', page, re.DOTALL))


def test_every_change_shows_on_the_next_request_of_every_cached_page(site):
    assert_everywhere(site, PAGES, "Original title of the first")  # and now kept by both processes

    # An edit (the admin saves the paper).
    site.command(
        "shell",
        "-c",
        f"from dailypapers.papers.models import Paper\n"
        f"p = Paper.objects.get(arxiv_id={FIRST!r}); p.title = 'Edited title of the first'; p.save()",
    )
    assert_everywhere(site, PAGES, "Edited title of the first")

    # A vote, through the web form of a cached page.
    ada = Reader(site.url)
    ada.sign_in("ada")
    _, _, page = ada.get(f"/papers/{FIRST}")
    status, _, _ = ada.post(
        f"/papers/{FIRST}/upvote",
        {"on": "1", "csrfmiddlewaretoken": ada.token(page)},
        referer=f"/papers/{FIRST}",
    )
    assert status == 200
    for page, bodies in everywhere(site, PAGES).items():
        for body in bodies:
            if page.startswith("/api/"):
                items = json.loads(body)
                item = (
                    items
                    if isinstance(items, dict)
                    else next(i["paper"] for i in items if i["paper"]["id"] == FIRST)
                )
                assert item["upvotesHere"] == 1, page
            elif not page.startswith("/feeds/"):  # RSS items carry no counts
                assert re.search(rf'{FIRST}/upvote.*?data-testid="vote-count">1<', body, re.DOTALL), page

    # A comment.
    _, _, page = ada.get(f"/papers/{FIRST}")
    ada.post(
        f"/papers/{FIRST}/comments",
        {"body": "A remark worth caching", "csrfmiddlewaretoken": ada.token(page)},
        referer=f"/papers/{FIRST}",
    )
    assert_everywhere(site, [f"/papers/{FIRST}", f"/api/papers/{FIRST}/comments"], "A remark worth caching")
    for body in everywhere(site, [f"/api/papers/{FIRST}"])[f"/api/papers/{FIRST}"]:
        assert json.loads(body)["numComments"] == 1

    # A new listing, through the import path (bulk writes, no model signals).
    site.command(
        "shell",
        "-c",
        f"import datetime as dt\nfrom tests.support.factories import add_paper\n"
        f"add_paper({NEWCOMER!r}, 'A newcomer on the feed', day=dt.date.fromisoformat({DAY!r}))",
    )
    assert_everywhere(site, FEEDS, "A newcomer on the feed")

    # A moderator hides the first paper (the admin's action).
    mod = Reader(site.url)
    mod.sign_in("mod")
    _, _, page = mod.get("/admin/papers/paper/")
    pk = site.command(
        "shell",
        "-c",
        f"from dailypapers.papers.models import Paper; print(Paper.objects.get(arxiv_id={FIRST!r}).pk)",
    ).split()[-1]
    status, _, _ = mod.post(
        "/admin/papers/paper/",
        {"action": "hide", "_selected_action": str(pk), "csrfmiddlewaretoken": mod.token(page)},
        referer="/admin/papers/paper/",
    )
    assert status == 200
    assert_everywhere(site, FEEDS, "Edited title of the first", present=False)
    for _ in range(ASKS):
        assert Reader(site.url).get(f"/papers/{FIRST}")[0] == 404
        assert Reader(site.url).get(f"/api/papers/{FIRST}")[0] == 404


def test_no_reader_sees_another_readers_marks_name_or_token(site):
    ada, bob, anonymous = Reader(site.url), Reader(site.url), Reader(site.url)
    ada.sign_in("ada")
    bob.sign_in("bob")
    feed = f"/papers/date/{DAY}"
    anonymous.get(feed)  # its CSRF cookie, before asking many times at once
    for reader, paper in ((ada, SECOND), (bob, NEWCOMER)):
        _, _, page = reader.get(feed)  # the form's token comes from a cached page
        status, _, _ = reader.post(
            f"/papers/{paper}/upvote", {"on": "1", "csrfmiddlewaretoken": reader.token(page)}, referer=feed
        )
        assert status == 200
    tokens = {}
    for name, reader, voted in ((ada, ada, SECOND), (bob, bob, NEWCOMER), (None, anonymous, None)):
        for page in everywhere(site, [feed], reader)[feed]:  # (name: who is signed in)
            marks = vote_marks(page)
            assert {paper for paper, pressed in marks.items() if pressed == "true"} == (
                {voted} if voted else set()
            )
            signed_in = re.findall(r'data-testid="signed-in-as">([^<]+)<', page)
            assert signed_in == (["ada" if reader is ada else "bob"] if name else [])
            tokens.setdefault(id(reader), set()).update(
                re.findall(r'csrfmiddlewaretoken" value="([^"]+)"', page)
            )
    # Each reader's tokens are theirs: none was handed to another reader.
    ada_tokens, bob_tokens, anonymous_tokens = tokens.values()
    assert (
        not (ada_tokens & bob_tokens)
        and not (ada_tokens & anonymous_tokens)
        and not (bob_tokens & anonymous_tokens)
    )
    # And the anonymous page's token is good: its vote is sent to sign in, not refused (403).
    status, _, page = anonymous.post(
        f"/papers/{SECOND}/upvote",
        {"on": "1", "csrfmiddlewaretoken": next(iter(anonymous_tokens))},
        referer=feed,
    )
    assert status == 200 and 'name="password"' in page


def test_the_stored_copy_answers_until_the_stamp_moves(site):
    """A change made behind the site's back (an SQL UPDATE: no model signal) stays unseen where a copy
    is kept: the copy is what answers. Moving the stamp from another process renews every copy."""
    page = f"/papers/{SECOND}"
    everywhere(site, [page])
    sql = f"from dailypapers.papers.models import Paper\nPaper.objects.filter(arxiv_id={SECOND!r})"
    site.command("shell", "-c", sql + ".update(title='Retitled in SQL')")
    assert any("Retitled in SQL" not in body for body in everywhere(site, [page])[page])
    site.command("shell", "-c", "from dailypapers.core import pagecache\npagecache.bump()")
    assert_everywhere(site, [page], "Retitled in SQL")


def test_cached_answers_say_how_to_cache_them(site):
    reader = Reader(site.url)
    for page, private in (
        (f"/papers/date/{DAY}", True),
        (f"/api/daily_papers?date={DAY}", False),
        (f"/feeds/daily/{DAY}.rss", False),
    ):
        for _ in range(3):
            status, headers, _ = reader.get(page)
            assert status == 200
            control = {part.strip() for part in headers["Cache-Control"].split(",")}
            assert (
                "no-cache" in control
                and ("private" in control) == private
                and ("public" in control) != private
            )
            if private:
                assert "Cookie" in headers["Vary"]
            etag = headers["ETag"]
        status, headers, _ = reader.get(page, {"If-None-Match": etag})
        assert status == 304, page
