"""Voting in headless Chromium on the real server with the demo: with and without JavaScript, on a
past day that has a later day, on a week, on search results and on a paper page. Each vote counts and
the reader stays on the page they voted on; a stranger who votes signs in and comes back to it. The
cards link their keywords and submitters, and a card without chips keeps its line straight."""

from __future__ import annotations

import contextlib
import json
import re
from urllib.parse import quote

import pytest

from tests.support.served import prepared_site

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase"
DAY = "/papers/date/2026-06-18"  # the demo's last day but one
WEEK = "/papers/week/2026-W24"  # a week with a later one
SEARCH = "/papers/search?q=language&page=2"
KEYWORDS = ["retrieval augmented generation", "tool use"]

# Run once in the served site: a member, and three of the day's papers in the shapes the cards test:
# one shown by its keywords, one with no chips at all, one submitted by the member.
SETUP = f"""
import contextlib
import json
from django.contrib.auth import get_user_model
from dailypapers.papers.models import Listing, Paper
member = get_user_model().objects.create_user("voter", "voter@example.org", {PASSWORD!r})
keyworded, bare, submitted = Listing.objects.filter(day="2026-06-18").order_by("paper__arxiv_id")[:3]
for listing, keywords in ((keyworded, {KEYWORDS!r}), (bare, [])):
    listing.paper.categories.clear()
    Paper.objects.filter(pk=listing.paper_id).update(ai_keywords=keywords)
Listing.objects.filter(pk=submitted.pk).update(submitted_by=member, source="submission")
print(json.dumps({{name: l.paper.arxiv_id for name, l in
    (("keyworded", keyworded), ("bare", bare), ("submitted", submitted))}}))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with prepared_site(tmp_path_factory.mktemp("home")) as served:
        yield served


@pytest.fixture(scope="module", autouse=True)
def papers(site) -> dict[str, str]:
    """The member every test signs in as; the arXiv ids of the day's papers set up for the card
    tests, by their shape."""
    return json.loads(site.command("shell", "-c", SETUP).strip().splitlines()[-1])


@pytest.fixture(scope="module")
def member(site, papers, browser) -> dict:
    """The member's signed-in browser state (cookies): the readers who vote start from it."""
    with reader(browser) as page:
        sign_in(page, site, "/")
        return page.context.storage_state()


@pytest.fixture(params=[False, True], ids=["no-js", "js"])
def javascript(request) -> bool:
    return request.param


@pytest.fixture
def stranger(browser, javascript):
    with reader(browser, javascript) as page:
        yield page


@contextlib.contextmanager
def reader(browser, javascript: bool = True, signed_in: dict | None = None):
    """A reader with JavaScript off or on, a stranger or signed in; no errors in the console."""
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": 1280, "height": 900}, storage_state=signed_in
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        yield page
    finally:
        context.close()
    assert problems == []


def card_of(page, arxiv_id: str):
    return page.locator(".card", has=page.locator(f'.card-title a[href="/papers/{arxiv_id}"]'))


def first_paper(page) -> str:
    return page.locator(".card-title a").first.get_attribute("href").rsplit("/", 1)[1]


def votes(locator) -> int:
    return int(locator.get_by_test_id("vote-count").inner_text().replace(",", ""))


def sign_in(page, site, path: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{site.url}/accounts/login?next={quote(path)}")
    fill_in_sign_in(page)
    expect(page).to_have_url(site.url + path)


def fill_in_sign_in(page) -> None:
    page.locator("#id_username").fill("voter")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#main").get_by_role("button", name="Sign in").click()


def press(page, button, javascript: bool = True) -> int:
    """Press a vote button; returns how its count is to move (+1, or -1 when it was pressed). With
    JavaScript, htmx swaps the button in place: the page is not reloaded."""
    from playwright.sync_api import expect

    was_pressed = button.get_attribute("aria-pressed") == "true"
    if javascript:
        page.evaluate("window.notReloaded = true")
    button.click()
    if javascript:
        expect(button).to_have_attribute("aria-pressed", str(not was_pressed).lower())
        assert page.evaluate("window.notReloaded") is True
    return -1 if was_pressed else 1


def vote_stays_on_the_page(page, site, path: str, arxiv_id: str, javascript: bool) -> None:
    """Vote on one paper's card on `path`: the count moves by one and the reader is still on `path`."""
    from playwright.sync_api import expect

    card = card_of(page, arxiv_id)
    before = votes(card)
    step = press(page, card.get_by_test_id("upvote"), javascript)
    expect(page).to_have_url(site.url + path)
    expect(card.get_by_test_id("upvote")).to_have_attribute("aria-pressed", "true" if step > 0 else "false")
    expect(card.get_by_test_id("vote-count")).to_have_text(f"{before + step:,}")


def test_a_stranger_who_votes_signs_in_and_comes_back(site, stranger):
    """On main, the vote form's return address was the day's `next` (the following day's Period) and
    signing in ended on a 404."""
    from playwright.sync_api import expect

    page = stranger
    for path in (DAY, WEEK):
        page.goto(site.url + path)
        page.get_by_test_id("upvote").first.click()
        expect(page).to_have_url(f"{site.url}/accounts/login?next={path}")
    fill_in_sign_in(page)
    expect(page).to_have_url(site.url + WEEK)
    expect(page.locator("h1")).to_have_text("Week 24, 2026")


@pytest.mark.parametrize("path", [DAY, WEEK, SEARCH], ids=["past-day", "week", "search"])
def test_a_vote_counts_and_the_reader_stays_on_the_page(site, member, browser, javascript, path):
    """On main, without JavaScript, the vote counted and the reader landed on a 404 (a day or a week
    with a later one), and search results had a vote box that could not be pressed."""
    with reader(browser, javascript, signed_in=member) as page:
        page.goto(site.url + path)
        vote_stays_on_the_page(page, site, path, first_paper(page), javascript)


def test_search_results_explain_their_rank_behind_why_here(site, browser):
    """On main, "keyword rank 1 (BM25 4.05)" stood in every result's line."""
    from playwright.sync_api import expect

    with reader(browser, javascript=False) as page:
        page.goto(site.url + SEARCH)
        hit = page.locator(".search-hit").first
        expect(hit.locator(".meta")).not_to_contain_text("BM25", use_inner_text=True)
        expect(hit.locator(".meta")).not_to_contain_text("keyword rank", use_inner_text=True)
        expect(hit.locator(".why p")).to_be_hidden()
        hit.get_by_text("Why here?").click()
        expect(hit.locator(".why p")).to_be_visible()


def test_the_paper_page_and_the_cards_why_count_an_htmx_vote_at_once(site, papers, member, browser):
    """On main, the side panel and "Why here?" kept the old count until a reload."""
    from playwright.sync_api import expect

    with reader(browser, signed_in=member) as page:
        page.goto(f"{site.url}/papers/{papers['keyworded']}")
        tally = page.get_by_test_id("vote-tally")
        here = int(re.match(r"([\d,]+) here", tally.inner_text()).group(1).replace(",", ""))
        step = press(page, page.get_by_test_id("upvote"))
        expect(tally).to_contain_text(f"{here + step:,} here")

        page.goto(site.url + DAY)
        card = card_of(page, papers["bare"])
        card.get_by_text("Why here?").click()
        why = card.locator(".why")
        total = int(re.search(r"it has (\d+) votes?", why.inner_text()).group(1))
        step = press(page, card.get_by_test_id("upvote"))
        expect(why).to_contain_text(f"it has {total + step} vote")


def test_cards_link_submitters_and_keywords_and_keep_their_line_without_chips(site, papers, browser):
    from playwright.sync_api import expect

    with reader(browser) as page:
        page.goto(site.url + DAY)
        # A card without categories or keywords: no empty list pushes the rest of its line right.
        boxes = card_of(page, papers["bare"]).evaluate(
            """card => [...card.querySelectorAll('.meta > *')].map(e => e.getBoundingClientRect())
                .map(r => [r.left, r.width]).concat([[card.querySelector('.card-body')
                .getBoundingClientRect().left, 1]])"""
        )
        *items, (body_left, _) = boxes
        assert all(width > 0 for _, width in items), boxes
        assert items[0][0] == body_left, boxes

        card_of(page, papers["submitted"]).get_by_role("link", name="voter").click()
        expect(page).to_have_url(site.url + "/u/voter")
        expect(page.locator("h1")).to_have_text("voter")

        page.goto(site.url + DAY)
        card_of(page, papers["keyworded"]).get_by_role("link", name=KEYWORDS[0]).click()
        expect(page).to_have_url(f"{site.url}/papers/search?q={quote(KEYWORDS[0])}")
        expect(page.locator("#sq")).to_have_value(KEYWORDS[0])
