"""In headless Chromium on the real server: a member signs in, adds a paper to a new collection from
its card (htmx's inline form, in place), and finds it on the collection's page with the note."""

from __future__ import annotations

import textwrap

import pytest

from tests.support.served import prepared_site

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase"
PAPER = "2606.00011"
SEED = textwrap.dedent(
    f"""
    from django.contrib.auth import get_user_model
    from dailypapers.accounts.models import Profile
    from dailypapers.papers.periods import feed_day
    from tests.support.factories import add_paper
    add_paper({PAPER!r}, "A paper worth keeping", day=feed_day(), votes=5, categories=["cs.CL"])
    user = get_user_model().objects.create_user("keeper", "keeper@example.org", {PASSWORD!r})
    Profile.objects.create(user=user, email_verified=True)
    from dailypapers.collections.models import Collection
    Collection.create(user, "A reading list whose title is long enough to be wider than a phone's screen")
    """
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with prepared_site(tmp_path_factory.mktemp("home"), demo=False) as s:
        s.command("shell", "-c", SEED)
        yield s


def test_adding_a_paper_to_a_new_collection_from_its_card(site, browser):
    from playwright.sync_api import expect

    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{site.url}/accounts/login?next=/")
    page.locator("#id_username").fill("keeper")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#main").get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(site.url + "/")

    page.evaluate("window.notReloaded = true")
    card = page.locator(".card", has=page.locator(f'.card-title a[href="/papers/{PAPER}"]'))
    card.get_by_test_id("add-to-collection").click()
    card.get_by_test_id("collect-new-title").fill("Keepers")
    card.locator("textarea[name=note]").fill("Read the second section first.")
    card.get_by_test_id("collect-submit").click()
    expect(card.get_by_test_id("collected")).to_contain_text("Added to Keepers")
    assert page.evaluate("window.notReloaded") is True  # in place, no page load

    card.get_by_test_id("collected").get_by_role("link", name="Keepers").click()
    expect(page.locator("h1")).to_have_text("Keepers")
    expect(page.get_by_test_id("collection-item")).to_have_count(1)
    expect(page.get_by_test_id("collection-item")).to_contain_text("A paper worth keeping")
    expect(page.get_by_test_id("item-note")).to_contain_text("Read the second section first.")

    # Without htmx's inline form, its own page; at a phone's width, a long title scrolls nothing sideways.
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{site.url}/papers/{PAPER}/add-to-collection")
    expect(page.get_by_test_id("collect-form")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    assert problems == []
