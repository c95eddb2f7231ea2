"""A reader in headless Chromium: today's papers, the previous day, a paper page. Screenshots are kept."""

from __future__ import annotations

import pytest

from tests.support.pages import watched_page
from tests.support.served import prepared_site
from tests.support.shared import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with prepared_site(tmp_path_factory.mktemp("home")) as served:
        yield served


def test_reader_moves_to_the_previous_day_and_opens_a_paper(site, browser):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page, problems = watched_page(browser)

    page.goto(site.url + "/")
    expect(page.locator("h1")).to_have_text("Friday, June 19, 2026")
    expect(page.locator(".card")).to_have_count(19)
    page.screenshot(path=ARTIFACTS / "browser-home.png", full_page=True)

    page.get_by_test_id("previous").click()
    expect(page).to_have_url(site.url + "/papers/date/2026-06-18")
    expect(page.locator("h1")).to_have_text("Thursday, June 18, 2026")
    first = page.locator(".card-title a").first
    title = first.inner_text()
    page.screenshot(path=ARTIFACTS / "browser-previous-day.png", full_page=True)

    first.click()
    expect(page.locator("h1#paper-title")).to_have_text(title)
    expect(page.get_by_role("link", name="arXiv page")).to_have_attribute(
        "href", f"https://arxiv.org/abs/{page.url.rsplit('/', 1)[1]}"
    )
    expect(page.get_by_role("link", name="PDF")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "browser-paper.png", full_page=True)

    assert problems == []


def test_keyboard_and_dark_mode(site, browser):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page.goto(site.url + "/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 26, 32)"  # the dark palette's --bg-soft
    # Nothing wider than a phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=ARTIFACTS / "browser-phone-dark.png", full_page=False)
