"""Hardening: the Content-Security-Policy on every page, HSTS from the environment, and Django's
deployment check. The policy lets in nothing from another site and no inline script or style, so every
page must keep its script and style in our static files: one walk in Chromium over the main pages, the
admin's and the error pages proves they break none of its rules and that htmx still votes."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.pages import watched_page
from tests.support.served import serve, server_database

SRC = Path(__file__).resolve().parents[2] / "src" / "dailypapers"
README = Path(__file__).resolve().parents[2] / "README.md"
PASSWORD = "a long and unusual passphrase"

# What the browser would run or apply inline: script elements without src, event-handler attributes,
# javascript: URLs, style attributes and <style> blocks.
INLINE = re.compile(
    r"<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=|javascript:|\sstyle\s*=|<style",
    flags=re.IGNORECASE,
)


def page_templates() -> list[Path]:
    """Every template a browser is served: not the e-mails (no policy reaches a mail reader, and mail
    readers need inline styles), nor the 500 page, whose one <style> block the policy names by hash."""
    found = [
        path
        for path in SRC.glob("*/templates/**/*.html")
        if "/email/" not in path.as_posix() and path.name != "500.html"
    ]
    assert len(found) > 50  # the glob found the templates
    return found


def test_no_page_template_or_script_holds_inline_code_or_style():
    """On main, the new API token's field had onfocus="this.select()", and htmx added a <style>."""
    offenders = [
        f"{path.relative_to(SRC)}: {match.group(0)}"
        for path in page_templates()
        for match in INLINE.finditer(path.read_text())
    ]
    assert offenders == []
    config = (SRC / "accounts/templates/accounts/_nav.html").read_text()
    assert '"includeIndicatorStyles":false' in config and '"allowEval":false' in config


@pytest.mark.django_db
def test_every_kind_of_response_carries_the_policy(client):
    """Pages, the API's docs and JSON, the admin, a 404 and the CSRF failure page (on main, Django's
    own, styled inline)."""
    from django.test import Client

    responses = [
        client.get(path) for path in ("/", "/api/", "/api/daily_papers", "/admin/login/", "/no/such")
    ]
    refused = Client(enforce_csrf_checks=True).post("/accounts/login", {"username": "a", "password": "b"})
    assert refused.status_code == 403
    assert "That form could not be sent" in refused.content.decode()
    policies = {response.headers.get("Content-Security-Policy") for response in [*responses, refused]}
    assert len(policies) == 1
    policy = policies.pop()
    assert "default-src 'self'" in policy and "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe" not in policy and "http" not in policy


# --- Django's deployment check, run as an operator would ---


def deploy_check(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"}
    env.update(
        DAILYPAPERS_HOME=str(tmp_path),
        DAILYPAPERS_HTTPS="1",
        DAILYPAPERS_SECRET_KEY=secrets.token_urlsafe(50),
        DAILYPAPERS_ALLOWED_HOSTS="papers.example.org",
        **variables,
    )
    return subprocess.run(
        [sys.executable, "-m", "dailypapers", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_deployment_check_leaves_only_what_the_readme_explains(tmp_path):
    """On main it warned of HSTS (W004) and of no redirect to HTTPS (W008). HSTS stays the operator's
    choice (README, "Security headers"); with it set through the environment, nothing is left."""
    done = deploy_check(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    left = sorted(set(re.findall(r"\(security\.(W\d+)\)", done.stderr)))
    assert left == ["W004"], done.stderr
    explained = README.read_text().split("### Security headers", 1)[1].split("\n### ", 1)[0]
    assert "security.W004" in explained

    done = deploy_check(tmp_path, DAILYPAPERS_HSTS_SECONDS="3600")
    left = sorted(set(re.findall(r"\(security\.(W\d+)\)", done.stderr)))
    assert left == ["W005", "W021"], done.stderr
    assert "security.W005" in explained and "security.W021" in explained

    done = deploy_check(
        tmp_path,
        DAILYPAPERS_HSTS_SECONDS="31536000",
        DAILYPAPERS_HSTS_INCLUDE_SUBDOMAINS="1",
        DAILYPAPERS_HSTS_PRELOAD="1",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout

    done = deploy_check(tmp_path, DAILYPAPERS_HSTS_SECONDS="-1")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "dailypapers: error: DAILYPAPERS_HSTS_SECONDS must be 0 or more, not -1. "
        "(DAILYPAPERS_DEBUG=1 shows the traceback)"
    ]


# --- In Chromium ---

# The admin (a superuser) with a verified address, so that the same session also votes on the site.
SEED = textwrap.dedent(
    f"""
    from django.contrib.auth import get_user_model
    from dailypapers.accounts.models import Profile
    from dailypapers.papers.models import Listing
    user = get_user_model().objects.create_superuser("keeper", "keeper@example.org", {PASSWORD!r})
    Profile.objects.update_or_create(user=user, defaults={{"email_verified": True}})
    listing = Listing.objects.order_by("-day", "pk").first()
    print(listing.paper.arxiv_id, listing.paper.pk)
    """
)

# Recorded in every page before its own scripts run: what the policy refused, as the page saw it.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
    e => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with server_database() as database_url, serve(tmp_path_factory.mktemp("home"), database_url) as served:
        served.paper_id, served.paper_pk = served.command("shell", "-c", SEED).split()[-2:]
        yield served


@pytest.mark.browser
def test_the_pages_break_no_rule_of_the_policy_and_htmx_still_votes(site, browser):
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
        page.wait_for_function("window.htmx !== undefined") if "/admin/" not in path else None
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
    body = server_error(None).content.decode()
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
