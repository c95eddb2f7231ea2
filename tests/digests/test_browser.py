"""A reader in headless Chromium subscribes from the footer, confirms with the button, sets topics and
leaves."""

from __future__ import annotations

import pytest

from tests.digests.helpers import link
from tests.support.served import prepared_site
from tests.support.shared import ARTIFACTS
from tests.support.smtp import SMTPServer

pytestmark = pytest.mark.browser


def test_subscribe_confirm_settings_and_unsubscribe_in_the_browser(browser, tmp_path, monkeypatch):
    from playwright.sync_api import expect

    smtp = SMTPServer().start()
    monkeypatch.setenv("DAILYPAPERS_EMAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("DAILYPAPERS_EMAIL_PORT", str(smtp.port))
    monkeypatch.setenv("DAILYPAPERS_DIGEST_SUBSCRIBE_RATE", "")
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with prepared_site(tmp_path / "home") as site:
            monkeypatch.setenv("DAILYPAPERS_SITE_URL", site.url)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

            page.goto(site.url + "/")
            footer = page.locator(".digest-signup")
            expect(footer.get_by_role("heading")).to_have_text("Get trending papers in your inbox")
            footer.get_by_label("E-mail address").fill("reader@example.org")
            footer.get_by_role("button", name="Subscribe").click()
            expect(page.locator("h1")).to_have_text("Check your inbox")
            page.screenshot(path=ARTIFACTS / "digests-check-inbox.png", full_page=True)

            [confirmation] = smtp.wait_for(1)
            assert confirmation.recipients == ["reader@example.org"]
            # The e-mailed link opens a page with a button. Opening it confirms nothing (mail
            # scanners open links too): opened twice, it still asks.
            confirm_url = site.url + link(confirmation.text, "confirm")
            for _ in range(2):
                page.goto(confirm_url)
                expect(page.locator("h1")).to_have_text("Confirm your digest")
            page.screenshot(path=ARTIFACTS / "digests-confirm.png", full_page=True)
            page.get_by_role("button", name="Confirm my subscription").click()
            expect(page.locator("h1")).to_have_text("You’re subscribed")
            page.get_by_role("link", name="Choose topics, authors and frequency").click()
            expect(page.locator("h1")).to_have_text("Your digest")

            page.get_by_label("Weekly (Mondays, the week before)").check()
            page.get_by_label("Papers per digest").fill("5")
            page.get_by_label("Categories").fill("cs.CL cs.LG")
            page.get_by_label("Keywords").fill("retrieval\nlanguage model")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("status")).to_have_text("Saved.")
            expect(page.get_by_label("Categories")).to_have_value("cs.CL cs.LG")
            page.screenshot(path=ARTIFACTS / "digests-settings.png", full_page=True)

            page.get_by_role("button", name="Unsubscribe").click()
            expect(page.locator("h1")).to_have_text("You’re unsubscribed")
            page.screenshot(path=ARTIFACTS / "digests-unsubscribed.png", full_page=True)
            assert problems == []
    finally:
        smtp.stop()
