"""Save and Not interested in headless Chromium on a phone-sized screen (390 px), JavaScript on, on the
real server: the Save button swaps in place, a dismissed card gives way to a note with Undo, and the
member's next page (their own cached copy) no longer shows it while their library does show the save."""

from __future__ import annotations

import textwrap

import pytest

from tests.support.served import prepared_site

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase"
KEEP, DROP, OTHER = "2606.00001", "2606.00002", "2606.00003"
SEED = textwrap.dedent(
    f"""
    from django.contrib.auth import get_user_model
    from dailypapers.accounts.models import Profile
    from dailypapers.papers.periods import feed_day
    from tests.support.factories import add_paper
    for arxiv_id, title, votes in (({KEEP!r}, "A paper to keep", 30), ({DROP!r}, "A paper to drop", 20),
                                   ({OTHER!r}, "Another paper", 10)):
        add_paper(arxiv_id, title, day=feed_day(), votes=votes, categories=["cs.CL"])
    user = get_user_model().objects.create_user("reader", "reader@example.org", {PASSWORD!r})
    Profile.objects.create(user=user, email_verified=True)
    """
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with prepared_site(tmp_path_factory.mktemp("home"), demo=False) as s:
        s.command("shell", "-c", SEED)
        yield s


def test_saving_and_dismissing_on_a_phone(site, browser):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{site.url}/accounts/login?next=/")
        page.locator("#id_username").fill("reader")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#main").get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(site.url + "/")

        def card(arxiv_id: str):
            return page.locator(".card", has=page.locator(f'.card-title a[href="/papers/{arxiv_id}"]'))

        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the buttons fit the phone
        page.evaluate("window.notReloaded = true")
        save = card(KEEP).get_by_test_id("save")
        save.click()
        expect(save).to_have_attribute("aria-pressed", "true")
        expect(save).to_have_text("Saved")

        card(DROP).get_by_test_id("not-interested").click()
        expect(page.get_by_test_id("dismissed-card")).to_contain_text("A paper to drop")
        expect(card(DROP)).to_have_count(0)
        assert page.evaluate("window.notReloaded") is True  # both swapped in place

        page.reload()  # the member's own copy of the page is a new one
        expect(card(DROP)).to_have_count(0)
        expect(card(KEEP).get_by_test_id("save")).to_have_attribute("aria-pressed", "true")
        expect(card(OTHER)).to_have_count(1)

        # Undo brings it back.
        card(OTHER).get_by_test_id("not-interested").click()
        page.get_by_test_id("undo-not-interested").click()
        expect(page).to_have_url(site.url + "/")
        expect(card(OTHER)).to_have_count(1)

        page.goto(site.url + "/library")
        expect(page.get_by_test_id("library-item")).to_have_count(1)
        expect(page.get_by_test_id("library-item")).to_contain_text("A paper to keep")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
    assert problems == []
