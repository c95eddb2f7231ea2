"""A reader pages through search results in headless Chromium, on the real site with the demo embedded:
"Next page" until there is none, each paper once, every page saying the same total and page count."""

from __future__ import annotations

import pytest

from tests.support.served import prepared_site

pytestmark = pytest.mark.browser

PER_PAGE = 20


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo site with semantic search, once every demo paper is embedded (the duplicates came from
    fusing keywords with meaning)."""
    home = tmp_path_factory.mktemp("home")
    with prepared_site(home, semantic_search=True) as served:
        served.command("index", "--no-progress", timeout=600)  # waits for the server's indexer, then the rest
        yield served


@pytest.mark.parametrize("query", ["agents", "language model reasoning"])
def test_next_page_until_the_end_shows_each_paper_once(site, browser, query):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site.url + "/")
    page.get_by_role("searchbox").first.fill(query)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_test_id("result-count")).to_be_visible()

    seen: list[str] = []
    counts: list[str] = []
    while True:
        seen += page.locator(".search-results .card-title a").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        counts.append(page.get_by_test_id("result-count").inner_text())
        next_page = page.get_by_role("link", name="Next page")
        if not next_page.count():
            break
        with page.expect_navigation():
            next_page.click()

    twice = sorted({link for link in seen if seen.count(link) > 1})
    assert not twice, f"papers shown twice: {twice}"
    pages = -(-len(seen) // PER_PAGE)
    assert len(counts) == pages > 1
    assert counts == [f"{len(seen)} results · page {n} of {pages}" for n in range(1, pages + 1)]
    page.close()
