"""A member in headless Chromium claims to be an author from the paper page; once a moderator approves,
the author's name links to the member's profile."""

from __future__ import annotations

import pytest

from tests.support.pages import watched_page
from tests.support.served import prepared_site
from tests.support.shared import ARTIFACTS

pytestmark = pytest.mark.browser
PASSWORD = "a long and unusual passphrase"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with prepared_site(tmp_path_factory.mktemp("home")) as served:
        served.command(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_user('ada', 'ada@example.org', '{PASSWORD}')",
        )
        yield served


def test_a_member_claims_an_author_and_the_approved_claim_links_them(site, browser):
    from playwright.sync_api import expect

    page, problems = watched_page(browser)
    page.goto(f"{site.url}/accounts/login?next=/")
    page.locator("#id_username").fill("ada")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#main").get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(site.url + "/")
    page.locator(".card-title a").first.click()
    arxiv_id = page.url.rsplit("/papers/", 1)[1]
    first_author = page.locator(".authors.full a").first.inner_text()
    page.get_by_label("I am this author").select_option(index=0)
    page.get_by_role("button", name="Claim authorship").click()
    expect(page.get_by_test_id("my-claim")).to_contain_text(f"You claimed to be {first_author}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "browser-claim.png", full_page=True)

    site.command(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        "from dailypapers.community.models import AuthorClaim; "
        "mod = get_user_model().objects.create_user('mod', 'mod@example.org', 'x', is_staff=True); "
        "AuthorClaim.objects.get().decide(mod, approve=True)",
    )
    page.goto(f"{site.url}/papers/{arxiv_id}")
    expect(page.locator(".authors.full a.claimed")).to_have_attribute("href", "/u/ada")
    expect(page.get_by_test_id("my-claim")).to_contain_text(f"You are {first_author}")
    assert problems == []
