"""On a phone (390 px) in headless Chromium: each card's picture (here the generated cover: the demo
site fetches no PDFs) loads, keeps its place while it loads, and nothing scrolls sideways; the paper
page's Cite button leads to the BibTeX, and its Copy button copies it."""

from __future__ import annotations

import pytest

from tests.support.served import prepared_site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with prepared_site(tmp_path_factory.mktemp("home")) as served:
        yield served


def test_card_pictures_and_cite_on_a_phone(site, browser):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    page = context.new_page()
    page.goto(site.url + "/")
    first = page.locator(".card-thumb img").first
    # Its box is the picture's shape before anything arrives (width and height attributes).
    box = first.bounding_box()
    assert box and box["width"] > 40 and abs(box["height"] / box["width"] - 414 / 320) < 0.03
    first.scroll_into_view_if_needed()
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 320", arg=first.element_handle())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.locator(".card-title a").first.click()
    page.get_by_test_id("cite").click()
    expect(page.locator("#cite pre")).to_be_in_viewport()
    bibtex = page.locator("#bibtex").text_content()
    assert bibtex.startswith("@misc{") and "archivePrefix={arXiv}" in bibtex
    page.get_by_role("button", name="Copy BibTeX").click()
    expect(page.locator("[data-copied]")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == bibtex
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
