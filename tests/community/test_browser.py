"""A new member in headless Chromium against the real server: sign up (the link comes by e-mail through a
real SMTP server), submit a paper by URL (looked up on a replay of arXiv's API), upvote it from the home
page in place, comment in Markdown and see it rendered. Screenshots go to test-artifacts/."""

from __future__ import annotations

import contextlib
import os
import re

import pytest

from tests.support.pages import watched_page
from tests.support.served import prepared_site
from tests.support.shared import ARTIFACTS

pytestmark = pytest.mark.browser

PASSWORD = "a long and unusual passphrase"


@pytest.fixture(scope="module")
def mail():
    from tests.support.smtp import SMTPServer

    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def arxiv():
    from tests.support.recorded_arxiv import recorded, replay_arxiv_api
    from tests.support.replay import ReplayServer

    server = ReplayServer().start()
    server.route("/api/query", replay_arxiv_api(recorded()))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory, mail, arxiv):
    env = {
        "DAILYPAPERS_EMAIL_HOST": "127.0.0.1",
        "DAILYPAPERS_EMAIL_PORT": str(mail.port),
        "DAILYPAPERS_ARXIV_API_URL": arxiv.url + "/api/query",
        "DAILYPAPERS_ARXIV_DELAY": "0",
        # The recorded arXiv papers are from 2017: let any age through for this run.
        "DAILYPAPERS_SUBMIT_MAX_AGE_DAYS": "0",
    }
    with contextlib.ExitStack() as stack:
        # The server process takes its settings from the environment it starts with; this process's
        # own environment is put back right after.
        with pytest.MonkeyPatch.context() as mp:
            for key, value in env.items():
                mp.setenv(key, value)
            served = stack.enter_context(prepared_site(tmp_path_factory.mktemp("home")))
        yield served


def test_new_member_signs_up_submits_upvotes_and_discusses(site, browser, mail):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page, problems = watched_page(browser)

    # Sign up.
    page.goto(site.url + "/")
    page.get_by_role("link", name="Sign up").click()
    page.locator("#main").get_by_label("Username").fill("newton")
    page.locator("#main").get_by_label("E-mail address").fill("newton@example.org")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.screenshot(path=ARTIFACTS / "community-signup.png", full_page=True)
    page.locator("#main").get_by_role("button", name="Create account").click()
    expect(page.locator("h1")).to_have_text("Check your e-mail")

    # The confirmation link, from the real SMTP server.
    (message,) = mail.wait_for(1)
    assert message.recipients == ["newton@example.org"]
    link = re.search(r"http://\S+", message.text).group(0)
    assert link.startswith(site.url + "/accounts/verify/")
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("newton")

    # Submit a paper by its PDF link.
    page.get_by_role("link", name="Submit a paper").click()
    page.locator("#main").get_by_label("arXiv id or link").fill("https://arxiv.org/pdf/1707.08567v1")
    page.locator("#main").get_by_label("Why read it? (optional)").fill("A classic <script>alert(1)</script>")
    page.locator("#main").get_by_label("GitHub repository (optional)").fill("https://github.com/example/repo")
    page.screenshot(path=ARTIFACTS / "community-submit.png", full_page=True)
    page.locator("#main").get_by_role("button", name="Submit").click()
    expect(page).to_have_url(site.url + "/papers/1707.08567")
    expect(page.locator(".flash")).to_contain_text("is on today’s feed")
    title = page.locator("h1#paper-title").inner_text()

    # Upvote it from the home page, in place (htmx): the page does not reload.
    page.goto(site.url + "/")
    card = page.locator(".card", has=page.get_by_role("link", name=title))
    expect(card).to_contain_text("Submitted by newton")
    expect(card).to_contain_text("A classic <script>alert(1)</script>")  # shown as text
    vote = card.get_by_test_id("upvote")
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(card.get_by_test_id("vote-count")).to_have_text("0")
    page.evaluate("window.notReloaded = true")
    vote.click()
    expect(card.get_by_test_id("upvote")).to_have_attribute("aria-pressed", "true")
    expect(card.get_by_test_id("vote-count")).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True
    page.reload()
    card = page.locator(".card", has=page.get_by_role("link", name=title))
    expect(card.get_by_test_id("vote-count")).to_have_text("1")
    card.locator(".why summary").click()
    expect(card.locator(".why")).to_contain_text("it has 1 vote")
    page.screenshot(path=ARTIFACTS / "community-upvoted.png", full_page=True)

    # Comment in Markdown on the paper page and see it rendered.
    page.get_by_role("link", name=title).click()
    page.locator("#main").get_by_label(re.compile("^Add a comment")).fill(
        "This is **great**: see `eq. 3`.\n\n- clear\n- reproducible\n\n<img src=x onerror=alert(1)>"
    )
    page.get_by_role("button", name="Post comment").click()
    comment = page.locator(".comment").first
    expect(comment.locator(".comment-body strong")).to_have_text("great")
    expect(comment.locator(".comment-body code")).to_have_text("eq. 3")
    expect(comment.locator(".comment-body li")).to_have_count(2)
    expect(comment.locator(".comment-body img")).to_have_count(0)
    expect(page.get_by_test_id("comment-count")).to_have_text("1 comment")
    expect(page.get_by_role("link", name="Code", exact=True)).to_have_attribute(
        "href", "https://github.com/example/repo"
    )
    page.screenshot(path=ARTIFACTS / "community-discussion.png", full_page=True)

    # The trending page has it too, and the card's comment count shows 1.
    page.goto(site.url + "/papers/trending")
    card = page.locator(".card", has=page.get_by_role("link", name=title))
    expect(card.get_by_test_id("card-comments")).to_contain_text("1")
    page.screenshot(path=ARTIFACTS / "community-trending.png", full_page=True)

    # The member's public profile lists the submission and the comment; the account page has its panels.
    page.get_by_test_id("signed-in-as").click()
    expect(page.locator("h1")).to_have_text("newton")
    expect(page.locator(".profile-page")).to_contain_text(title)
    expect(page.locator(".profile-page .comment-body strong")).to_have_text("great")
    page.screenshot(path=ARTIFACTS / "community-profile.png", full_page=True)
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.locator("h1")).to_have_text("Your account")
    page.screenshot(path=ARTIFACTS / "community-account.png", full_page=True)

    # Signing out is a POST form in the header.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    assert problems == []
    assert not os.environ.get("DAILYPAPERS_SUBMIT_MAX_AGE_DAYS")  # this process's environment is untouched
