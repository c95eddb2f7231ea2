"""A Chromium page that remembers what went wrong on it: console errors and failed requests."""

from __future__ import annotations


def watched_page(browser, width: int = 1280, height: int = 900):
    """(page, problems): `problems` collects console errors and failed requests as they happen."""
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: None if _left_behind(r) else problems.append(f"{r.url}: {r.failure}"))
    return page, problems


def _left_behind(request) -> bool:
    """A picture or static file (the site's icon, which Chromium fetches as "other") still loading
    when the test moved to the next page: the browser cancels it (net::ERR_ABORTED), which says
    nothing of the page. A refused one fails otherwise."""
    cancelled = request.failure == "net::ERR_ABORTED"
    return cancelled and (request.resource_type == "image" or "/static/" in request.url)
