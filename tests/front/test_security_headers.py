"""Hardening: the Content-Security-Policy on every page, HSTS from the environment, and Django's
deployment check. The policy lets in nothing from another site and no inline script or style, so every
page must keep its script and style in our static files: one walk in Chromium over the main pages, the
admin's and the error pages (in test_layout.py, on its served site) proves they break none of its rules
and that htmx still votes."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "dailypapers"
README = Path(__file__).resolve().parents[2] / "README.md"

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


@pytest.mark.django_db
def test_debug_pages_go_without_the_policy(client, settings):
    """Django's debug pages are inline styles and scripts: under the policy they were unreadable."""
    settings.DEBUG = True
    assert "Content-Security-Policy" not in client.get("/no/such").headers
    assert "Content-Security-Policy" in client.get("/").headers


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


@pytest.mark.one_pass("sqlite")
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


@pytest.mark.django_db
def test_every_kind_of_response_carries_referrer_nosniff_and_frame_headers(client):
    """Pages, JSON, the admin, a 404 and the health check: none may be framed or sniffed, nor tell
    another site the address it came from. (The health check's 503 is checked on the served site.)"""
    paths = ("/", "/api/daily_papers", "/admin/login/", "/no/such", "/healthz")
    responses = [client.get(path) for path in paths]
    assert [r.status_code for r in responses] == [200, 200, 200, 404, 200]
    for response in responses:
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
