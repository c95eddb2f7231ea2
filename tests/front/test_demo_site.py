"""A stranger's first hour on the demo, in Chromium against the real `serve`: trending and its feed
(the demo's days are months old), categories (search, feeds, paper pages), a paper's arXiv date, and
e-mail links that point at the port the site was started on."""

from __future__ import annotations

import time
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from tests.support.served import prepared_site
from tests.support.smtp import SMTPServer

pytestmark = pytest.mark.browser

# A demo paper: arXiv gives its date as 2026-06-17T00:00Z; its categories are cs.CV.
PAPER = "2606.19195"


@pytest.fixture(scope="module")
def smtp():
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory, smtp):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DAILYPAPERS_EMAIL_HOST", "127.0.0.1")
        env.setenv("DAILYPAPERS_EMAIL_PORT", str(smtp.port))
        env.setenv("DAILYPAPERS_DIGEST_SUBSCRIBE_RATE", "")
        env.delenv("DAILYPAPERS_SITE_URL", raising=False)  # the server derives it from its port
        home = tmp_path_factory.mktemp("home")
        with prepared_site(home) as served:
            yield served


def feed_items(url: str) -> list[ET.Element]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return ET.fromstring(response.read()).findall("./channel/item")


def test_trending_shows_the_demo_though_its_days_are_past(site, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site.url + "/papers/trending")
    expect(page.locator("h1")).to_have_text("Trending papers")
    expect(page.locator(".card").first).to_be_visible()
    assert page.locator(".card").count() > 10
    assert feed_items(site.url + "/feeds/trending.rss")


def test_categories_search_feeds_and_paper_pages(site, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    # The demo is indexed for search beside the server, within seconds.
    deadline = time.monotonic() + 60
    page.goto(site.url + "/papers/search?q=image&category=cs.CV")
    while not page.locator(".search-hit").count() and time.monotonic() < deadline:
        time.sleep(0.5)
        page.reload()
    expect(page.locator("body")).not_to_contain_text("Unknown category")
    expect(page.locator(".search-hit").first).to_contain_text("cs.CV")

    assert len(feed_items(site.url + "/feeds/category/cs.CL.rss")) > 10

    page.goto(f"{site.url}/papers/{PAPER}")
    expect(page.locator(".facts dt", has_text="Categories")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("cs.CV")


def test_a_papers_arxiv_date_is_its_own_day(site, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{site.url}/papers/{PAPER}")
    expect(page.locator(".paper-head .eyebrow")).to_contain_text("Published Jun 17, 2026")


def test_digest_mail_links_to_the_port_serve_listens_on(site, browser, smtp):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site.url + "/")
    footer = page.locator(".digest-signup")
    footer.get_by_label("E-mail address").fill("stranger@example.org")
    footer.get_by_role("button", name="Subscribe").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")
    [mail] = smtp.wait_for(1)
    links = [word for word in mail.text.split() if "/digests/" in word]
    assert links and all(link.startswith(site.url + "/digests/") for link in links), mail.text
    assert f"Links in e-mails and feeds point at {site.url}" in "\n".join(site.output)
