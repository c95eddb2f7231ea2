"""Watching a paper in headless Chromium on a phone (390 px), JavaScript on, on the real server: the
Watch button swaps in place, another member comments, and the header's count leads to the notification.
The feed's date picker fits the phone and goes to the day picked."""

from __future__ import annotations

import textwrap

import pytest

from tests.support.served import prepared_site

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase"
PAPER = "2606.00001"
SEED = textwrap.dedent(
    f"""
    import datetime as dt
    from django.contrib.auth import get_user_model
    from tests.support.factories import add_paper
    add_paper({PAPER!r}, "A paper to watch", day=dt.date(2026, 6, 19))
    add_paper("2606.00002", "An earlier paper", day=dt.date(2026, 6, 18))
    get_user_model().objects.create_user("reader", "reader@example.org", {PASSWORD!r})
    get_user_model().objects.create_user("bob", "bob@example.org", {PASSWORD!r})
    """
)
COMMENT = textwrap.dedent(
    f"""
    from django.contrib.auth import get_user_model
    from dailypapers.community.models import Comment
    from dailypapers.papers.models import Paper
    Comment.post(get_user_model().objects.get(username="bob"), Paper.objects.get(arxiv_id={PAPER!r}), "Nice.")
    """
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with prepared_site(tmp_path_factory.mktemp("home"), demo=False) as s:
        s.command("shell", "-c", SEED)
        yield s


def test_watching_a_paper_and_seeing_the_notification(site, browser):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{site.url}/accounts/login?next=/papers/{PAPER}")
        page.locator("#id_username").fill("reader")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#main").get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{site.url}/papers/{PAPER}")
        page.evaluate("window.notReloaded = true")
        watch = page.get_by_test_id("watch")
        watch.click()
        expect(watch).to_have_attribute("aria-pressed", "true")
        assert page.evaluate("window.notReloaded === true")  # swapped in place by htmx

        site.command("shell", "-c", COMMENT)
        page.reload()
        page.get_by_role("button", name="Menu").click()
        badge = page.get_by_test_id("notifications-badge")
        expect(badge).to_contain_text("1")
        page.get_by_test_id("notifications-link").click()
        expect(page.get_by_test_id("notification")).to_contain_text("bob commented on “A paper to watch”")

        # The date picker fits the phone and, with script, goes to the date picked.
        page.goto(f"{site.url}/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.locator("#feed-date").fill("2026-06-18")
        expect(page).to_have_url(f"{site.url}/papers/date/2026-06-18")
        assert problems == []
    finally:
        context.close()
