""" "For you" in headless Chromium against the real server (the demo papers): a new member signs up
(the link comes by e-mail through a real SMTP server), imports a BibTeX file, rates a round of papers,
sees For you change from the community's order, and mutes an author. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import contextlib
import gzip
import json
import re

import pytest

from tests.support.pages import watched_page
from tests.support.served import prepared_site
from tests.support.shared import ARTIFACTS, REPO

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase"
DEMO = REPO / "src" / "dailypapers" / "sources" / "data" / "demo-hf-daily.json.gz"


@pytest.fixture(scope="module")
def mail():
    from tests.support.smtp import SMTPServer

    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory, mail):
    env = {
        "DAILYPAPERS_EMAIL_HOST": "127.0.0.1",
        "DAILYPAPERS_EMAIL_PORT": str(mail.port),
        "DAILYPAPERS_SUBMIT_FETCH_FROM_ARXIV": "0",  # nothing is looked up: this machine has no arXiv
    }
    with contextlib.ExitStack() as stack:
        with pytest.MonkeyPatch.context() as mp:
            for key, value in env.items():
                mp.setenv(key, value)
            served = stack.enter_context(prepared_site(tmp_path_factory.mktemp("home")))
        yield served


def latest_day() -> list[dict]:
    """The demo's latest day: its papers, fewest votes first."""
    days = json.loads(gzip.decompress(DEMO.read_bytes()))
    latest = max(days, key=lambda d: d["date"])
    return sorted(latest["data"], key=lambda item: (item["paper"].get("upvotes", 0), item["paper"]["id"]))


def library(papers: list[dict]) -> str:
    """A BibTeX file as reference managers write them: an eprint field (Zotero), a title alone
    (Google Scholar), arXiv's DOI, and a book the site does not have."""
    first, second, third = (p["paper"] for p in papers)
    return (
        f"@misc{{first,\n\ttitle = {{{first['title']}}},\n\teprint = {{{first['id']}}},\n"
        f"\tarchivePrefix = {{arXiv}},\n\tyear = {{2026}},\n}}\n\n"
        f"@article{{second,\n  title={{{second['title'].lower()}}},\n"
        "  journal={Proceedings},\n  year={2026}\n}\n\n"
        f"@misc{{third,\n\ttitle = {{{third['title']}}},\n\tdoi = {{10.48550/arXiv.{third['id']}}},\n}}\n\n"
        "@book{bishop,\n\ttitle = {Pattern Recognition and Machine Learning},\n\tyear = {2006},\n}\n"
    )


def cards(page) -> list[str]:
    return [
        href.rsplit("/", 1)[1]
        for href in page.locator(".card-title a").evaluate_all("a => a.map(x => x.getAttribute('href'))")
    ]


def test_new_member_imports_a_library_rates_sees_for_you_change_and_mutes_an_author(
    site, browser, mail, tmp_path
):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page, problems = watched_page(browser)
    day = latest_day()
    imported = day[:3]  # the day's least voted: last in the community's order

    # Sign up, confirm by the e-mailed link.
    page.goto(site.url + "/")
    page.get_by_role("link", name="Sign up").click()
    page.locator("#main").get_by_label("Username").fill("curie")
    page.locator("#main").get_by_label("E-mail address").fill("curie@example.org")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#main").get_by_role("button", name="Create account").click()
    # The e-mail leaves before the redirect lands: wait for the page, or goto() would abort it.
    expect(page.locator("h1")).to_have_text("Check your e-mail")
    (message,) = mail.wait_for(1)
    page.goto(re.search(r"http://\S+", message.text).group(0))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("curie")

    # For you starts cold: the community's order, and a way to start.
    page.goto(site.url + "/for-you")
    expect(page.get_by_test_id("for-you-cold")).to_be_visible()
    community = cards(page)
    assert {p["paper"]["id"] for p in imported} <= set(community[-5:])
    page.get_by_role("link", name=re.compile("^Get started")).click()

    # Step 1: a category; step 2: the library file.
    expect(page.locator("h1")).to_have_text("Which topics do you follow?")
    page.locator("input[name=category]").first.check()
    page.get_by_role("button", name="Save and go on").click()
    expect(page.locator("h1")).to_have_text("Papers you know")
    bib = tmp_path / "My Library.bib"
    bib.write_text(library(imported), encoding="utf-8")
    page.locator("#id_library").set_input_files(str(bib))
    page.get_by_role("button", name="Import").click()
    summary = page.get_by_test_id("import-summary")
    expect(summary).to_contain_text("3 of 4 entries found here")
    expect(summary).to_contain_text("(2 by arXiv id, 1 by title)")  # the eprint and arXiv's DOI are ids
    expect(summary).to_contain_text("Pattern Recognition and Machine Learning")
    page.screenshot(path=ARTIFACTS / "for-you-import.png", full_page=True)

    # Step 3: a round of ratings, without JavaScript's help (radio buttons in one form).
    page.get_by_role("link", name="Go on: rate a few papers").click()
    items = page.get_by_test_id("rate-item")
    expect(items.first).to_be_visible()
    assert 1 <= items.count() <= 10
    items.nth(0).get_by_label("More like this").check()
    if items.count() > 1:
        items.nth(1).get_by_label("Less like this").check()
    page.screenshot(path=ARTIFACTS / "for-you-rate.png", full_page=True)
    page.get_by_role("button", name="Save and see For you").click()

    # For you has changed: no longer cold, the imported papers risen from the bottom.
    expect(page).to_have_url(site.url + "/for-you")
    expect(page.locator(".flash")).to_contain_text("Thank you")
    expect(page.get_by_test_id("for-you-cold")).to_have_count(0)
    ranked = cards(page)
    assert ranked != community and sorted(ranked) == sorted(community)
    for item in imported:
        assert ranked.index(item["paper"]["id"]) < community.index(item["paper"]["id"])
    page.screenshot(path=ARTIFACTS / "for-you-ranked.png", full_page=True)

    # Mute the first author of the top card on the "Your taste" page: their papers leave For you.
    top = page.locator(".card").first
    author = top.locator(".authors a").first.inner_text()
    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name=re.compile("follows, mutes")).click()
    page.locator("#mute-kind").select_option("author")
    page.locator("#mute-value").fill(author)
    page.locator("#mutes").get_by_role("button", name="Mute").click()
    expect(page.get_by_test_id("mutes")).to_contain_text(re.compile(re.escape(author), re.IGNORECASE))
    page.goto(site.url + "/for-you")
    after = cards(page)
    assert ranked[0] not in after and set(after) < set(ranked)
    expect(page.locator(".toolbar")).to_contain_text("hidden by your “not interested” and mutes")
    assert problems == []
