"""Every main page in headless Chromium at a phone's width (390 px) and a laptop's (1280 px), signed out
and signed in: nothing scrolls sideways and the header stays one slim row. Dark-mode screenshots of
each width go to test-artifacts/ for a person to look at. The same pages, the admin's and the error
pages break no rule of the Content-Security-Policy (tests/front/test_security_headers.py has the rest)."""

from __future__ import annotations

import textwrap

import pytest

from tests.support.pages import watched_page
from tests.support.served import prepared_site
from tests.support.shared import ARTIFACTS

pytestmark = pytest.mark.browser

WIDTHS = (390, 1280)
MAX_HEADER_HEIGHT = 64
MEMBER = "ada_lovelace_of_the_analytical_engine"
PASSWORD = "a long and unusual passphrase"
# Long words, a URL and code: all must wrap (or scroll inside their own box) on a phone.
LONG_COMMENT = (
    "See https://example.org/a/very/long/path/that/has/no/natural/break/points/at/all/whatsoever.html "
    "and Pneumonoultramicroscopicsilicovolcanoconiosis-like-identifiers-that-never-end.\n\n"
    "```\nfor paper in api.list_daily_papers(date='2026-08-20', sort='trending', limit=100): print(p)\n```\n"
)
LONG_AUTHOR = "Maximilian-Alexander Wolfeschlegelsteinhausenbergerdorff von Brandenburg-Preußen"
# A query with results that is also one long word and a URL, echoed back in the heading.
SEARCH = (
    "/papers/search?q=language+models+https://example.org/averyveryverylongpathwithoutanybreakpointsatall"
)

# The member, and a comment of theirs on the newest paper, made in the site's own database.
SEED = textwrap.dedent(
    f"""
    from django.contrib.auth import get_user_model
    from dailypapers.accounts.models import Profile
    from dailypapers.community.models import Comment
    from dailypapers.papers.models import Listing, Paper
    user = get_user_model().objects.create_user({MEMBER!r}, "ada@example.org", {PASSWORD!r})
    Profile.objects.update_or_create(user=user, defaults={{"email_verified": True}})
    paper = Paper.objects.order_by("-id").first()
    Comment.post(user, paper, {LONG_COMMENT!r})
    # An author with a long name, offered in the side panel's "I am this author" list.
    paper.authorships.filter(position=paper.authorships.order_by("-position")[0].position).update(
        name={LONG_AUTHOR!r}
    )
    # A Hugging Face submitter of the demo, whose page lists what they submitted there.
    submitter = Listing.objects.exclude(submitter_name="").filter(submitted_by=None).first().submitter_name
    # The admin, with a verified address so that the same session also votes on the site.
    keeper = get_user_model().objects.create_superuser("keeper", "keeper@example.org", {PASSWORD!r})
    Profile.objects.update_or_create(user=keeper, defaults={{"email_verified": True}})
    print(paper.arxiv_id, submitter, paper.pk)
    """
)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    with prepared_site(home) as served:
        served.paper_id, served.submitter, served.paper_pk = served.command("shell", "-c", SEED).split()[-3:]
        yield served


def main_pages(paper_id: str, submitter: str, *, signed_in: bool) -> list[str]:
    pages = [
        "/",
        "/papers/date/2026-06-18",
        "/papers/week/2026-W25",
        "/papers/month/2026-06",
        f"/papers/{paper_id}",
        "/papers/trending",
        "/papers/trending?sort=stars",
        SEARCH,
        "/api/",
        "/about/ranking",
        "/about/privacy",
        "/papers/submit",
        "/digests/",
        "/no/such/page",
        f"/u/{MEMBER}",
        f"/u/{submitter}",
    ]
    if signed_in:
        # The member has given no signal: For you shows its cold start, with its long button.
        pages += ["/account/", "/for-you", "/for-you/settings", "/for-you/start", "/library"]
        pages += ["/notifications"]
    else:
        pages += ["/accounts/login", "/accounts/signup"]
    return pages


def layout_problems(page, width: int) -> list[str]:
    """What is wrong with the page now shown: sideways scrolling, a tall header, and the elements that
    stick out past the window's right edge (named, so that a failure says where to look)."""
    found = page.evaluate(
        """() => {
            const header = document.querySelector('.site-header').getBoundingClientRect().height;
            const scroll = document.documentElement.scrollWidth;
            const wide = scroll <= window.innerWidth ? [] : [...document.querySelectorAll('main *, header *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                .slice(0, 3)  // the outermost first
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));
            return {scroll, inner: window.innerWidth, header, wide};
        }"""
    )
    problems = []
    if found["scroll"] > found["inner"]:
        culprits = ", ".join(found["wide"])
        problems.append(f"{found['scroll']} px wide in a {found['inner']} px window ({culprits})")
    if found["header"] > MAX_HEADER_HEIGHT:
        problems.append(f"header {found['header']:.0f} px tall")
    return [f"{page.url} at {width} px: {problem}" for problem in problems]


def sign_in(page, site) -> None:
    from playwright.sync_api import expect

    page.goto(site.url + "/accounts/login")
    page.locator("#main").get_by_label("Username").fill(MEMBER)
    page.locator("#main").get_by_label("Password").fill(PASSWORD)
    page.locator("#main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text(MEMBER)


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_every_main_page_fits_a_phone_and_a_laptop(site, browser, signed_in):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    if signed_in:
        sign_in(page, site)
    problems = []
    for path in main_pages(site.paper_id, site.submitter, signed_in=signed_in):
        page.goto(site.url + path)
        for width in WIDTHS:  # the stylesheet follows the window: no need to load the page again
            page.set_viewport_size({"width": width, "height": 844 if width < 1000 else 900})
            problems += layout_problems(page, width)
    page.close()
    assert problems == []


def test_the_phone_menu_opens_and_dark_mode_is_readable(site, browser):
    from playwright.sync_api import expect

    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page.goto(site.url + f"/papers/{site.paper_id}")
    header = page.locator(".site-header")
    sign_up = header.get_by_role("link", name="Sign up")
    expect(sign_up).to_be_hidden()  # folded into the menu on a phone
    header.get_by_role("button", name="Menu").click()
    expect(sign_up).to_be_visible()
    expect(header.get_by_role("link", name="Trending")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "layout-phone-menu-dark.png")
    page.keyboard.press("Escape")
    expect(sign_up).to_be_hidden()
    page.screenshot(path=ARTIFACTS / "layout-phone-paper-dark.png", full_page=True)
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(230, 237, 243)"  # the dark --text

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(sign_up).to_be_visible()  # in the header's one row on a wide screen
    page.goto(site.url + SEARCH)
    page.screenshot(path=ARTIFACTS / "layout-laptop-search-dark.png", full_page=True)
    page.close()


# Recorded in every page before its own scripts run: what the policy refused, as the page saw it.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
    e => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


def test_the_pages_break_no_rule_of_the_policy_and_htmx_still_votes(site, browser):
    from django.test import RequestFactory
    from playwright.sync_api import expect

    from dailypapers.front.views import server_error

    page, problems = watched_page(browser, width=1280)
    page.context.add_init_script(RECORD_VIOLATIONS)
    # Console errors by address, to tell the error pages' own statuses from anything else.
    located: list[tuple[str, str]] = []
    page.on("console", lambda m: located.append((m.location["url"], m.text)) if m.type == "error" else None)
    violations: list[str] = []

    def visit(path: str, status: int = 200) -> None:
        response = page.goto(site.url + path)
        assert response.status == status, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        # htmx is there, with no <style> of its own (nor any other inline one).
        if not path.startswith("/admin/"):
            page.wait_for_function("window.htmx !== undefined")
        assert page.locator("style").count() == 0, path
        violations.extend(f"{path}: {v}" for v in page.evaluate("window.cspViolations"))

    # Signed out: the reader's pages, the API's docs, sign-in and a 404.
    for path in ("/", f"/papers/{site.paper_id}", "/papers/search?q=language+models", "/api/"):
        visit(path)
    visit("/no/such/page", status=404)
    visit("/accounts/login")
    # The CSRF failure page: the sign-in form sent without its cookie.
    page.context.clear_cookies()
    page.locator("#main").get_by_label("Username").fill("keeper")
    page.locator("#main").get_by_label("Password").fill(PASSWORD)
    page.locator("#main").get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("That form could not be sent")
    violations.extend(page.evaluate("window.cspViolations"))

    # The admin: its sign-in, index, a list with its filters and actions, and a change form.
    visit("/admin/login/")
    page.get_by_label("Username").fill("keeper")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#site-name")).to_be_visible()
    for path in ("/admin/", "/admin/papers/paper/", f"/admin/papers/paper/{site.paper_pk}/change/"):
        visit(path)
    # The admin's scripts run: ticking a row's box counts it in the actions bar.
    visit("/admin/papers/paper/")
    page.locator("input.action-select").first.check()
    expect(page.locator(".action-counter")).to_contain_text("1 of")

    # Signed in on the site: an htmx vote swaps the button in place, without a reload.
    visit("/")
    button = page.get_by_test_id("upvote").first
    pressed = button.get_attribute("aria-pressed") == "true"
    page.evaluate("window.notReloaded = true")
    button.click()
    expect(button).to_have_attribute("aria-pressed", str(not pressed).lower())
    assert page.evaluate("window.notReloaded") is True
    violations.extend(page.evaluate("window.cspViolations"))

    # The account page, and a new API token, whose field selects itself (a static script now).
    visit("/account/")
    page.get_by_label("New token for").fill("laptop")
    page.get_by_role("button", name="Make a token").click()
    expect(page.locator("h1")).to_have_text("Your new API token")
    page.wait_for_load_state()  # its deferred script has run
    field = page.locator("#new-token")
    field.focus()
    assert field.evaluate("e => e.value.slice(e.selectionStart, e.selectionEnd)") == field.input_value()
    violations.extend(page.evaluate("window.cspViolations"))

    # The 500 page, as the site's handler renders it, under the site's own policy: its inline style
    # is let in by hash (its body is centred 36rem wide), nothing else is.
    policy = page.request.get(site.url + "/").headers["content-security-policy"]
    body = server_error(RequestFactory().get("/failing")).content.decode()
    page.route(
        site.url + "/failing",
        lambda route: route.fulfill(
            status=500, body=body, headers={"Content-Type": "text/html", "Content-Security-Policy": policy}
        ),
    )
    page.goto(site.url + "/failing")
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "576px"
    violations.extend(page.evaluate("window.cspViolations"))

    page.close()
    assert violations == []
    # The console's only errors are the error pages' own statuses (and Chromium's own request for a
    # /favicon.ico, on the admin's pages, which name no icon).
    failed = "Failed to load resource: the server responded with a status of"
    assert [(url.removeprefix(site.url), text) for url, text in located if "/favicon.ico" not in url] == [
        ("/no/such/page", f"{failed} 404 (Not Found)"),
        ("/accounts/login", f"{failed} 403 (Forbidden)"),
        ("/failing", f"{failed} 500 (Internal Server Error)"),
    ]
    assert [p for p in problems if not p.startswith(failed)] == []
