"""Refresh the README's screenshots: the home page, a paper page and search, at 1280 px and at 390 px;
on the demo site also a member's views (a paper page signed in, a collection, notifications and an
organisation) after a few members have used it.

    python tools/screenshots.py                          # starts the demo site in a fresh home, then stops it
    python tools/screenshots.py --url http://127.0.0.1:8000   # uses a site already running (no member views)

Writes docs/screenshot-{home,paper,search}.png (1280 px) and docs/screenshot-{home,paper,search}-phone.png
(390 px), and docs/member-{paper,collection,notifications,organisation}{,-phone}.png, in light mode.
Needs Playwright and Chromium (DAILYPAPERS_CHROMIUM, or `chromium` on PATH).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
SEARCH_QUERY = "language model agents"
# name suffix -> (width, height) of the window; each shot is the window's view, not the whole page.
SIZES = {"": (1280, 860), "-phone": (390, 844)}
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running site to photograph (default: the demo, in a fresh home)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url, seeded = (args.url.rstrip("/"), None) if args.url else stack.enter_context(demo_site())
        for path in take_screenshots(url, seeded):
            print(path)


def take_screenshots(url: str, seeded: tuple[str, str] | None = None) -> list[Path]:
    """The pictures, written to docs/; their paths. `seeded`: what SEED printed on this site (the
    member views are taken then)."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("DAILYPAPERS_CHROMIUM") or shutil.which("chromium")
    if not executable:
        sys.exit("screenshots: no Chromium found (set DAILYPAPERS_CHROMIUM)")
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = browser.new_page(color_scheme="light")
        page.goto(url + "/")
        paper_url = url + page.locator(".card-title a").first.get_attribute("href")
        pages = {"home": url + "/", "paper": paper_url, "search": f"{url}/papers/search?q={SEARCH_QUERY}"}
        for suffix, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            for name, address in pages.items():
                page.goto(address)
                path = DOCS / f"screenshot-{name}{suffix}.png"
                page.screenshot(path=path)
                written.append(path)
        if seeded:
            written += _member_views(browser, url, *seeded)
        browser.close()
    return written


# What demo_site's members did, so that the member views have something to show: ada collects three
# of the day's papers, watches the first, is approved as its first author and belongs to an
# organisation that submitted two of them; bob upvotes her collection and comments on the paper she watches.
SEED = """
from django.contrib.auth import get_user_model
from dailypapers.collections.models import Collection, CollectionUpvote
from dailypapers.community.models import AuthorClaim, Comment, Watch
from dailypapers.papers.models import Listing, Membership, Organization
users = get_user_model().objects
ada = users.create_user("ada", "ada@example.org", "screenshots only", first_name="Ada")
bob = users.create_user("bob", "bob@example.org", "screenshots only")
mod = users.create_superuser("mod", "mod@example.org", "screenshots only")
day = Listing.objects.visible().latest("day").day
papers = [l.paper for l in Listing.objects.visible().filter(day=day).ranked("votes")[:3]]
reading = Collection.create(ada, "Agents reading group", "Papers for our Thursday meetings.")
for paper, note in zip(papers[:3], ["Start here.", "The evaluation section is the point.", ""]):
    reading.add_paper(ada, paper, note)
CollectionUpvote.toggle(bob, reading)
Watch.set(ada, papers[0], True)
AuthorClaim.ask(ada, papers[0], papers[0].authorships.order_by("position").first().position).decide(mod, True)
group = Organization.objects.create(name="reading-group", fullname="The Reading Group")
Membership.objects.create(user=ada, organization=group, role="admin")
Membership.objects.create(user=bob, organization=group)
# As the Hugging Face import records a paper an organisation submitted.
Listing.objects.filter(day=day, paper__in=papers[1:]).update(organization=group)
Comment.post(bob, papers[0], "Does the method hold up on longer documents?")
print(papers[0].arxiv_id, reading.get_absolute_url())
"""


def _member_views(browser, url: str, paper_id: str, collection: str) -> list[Path]:
    page = browser.new_page(color_scheme="light")
    page.goto(url + "/accounts/login")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", "screenshots only")
    page.locator("main form button[type=submit]").first.click()
    views = {
        "paper": f"{url}/papers/{paper_id}",
        "collection": url + collection,
        "notifications": url + "/notifications",
        "organisation": url + "/orgs/reading-group",
    }
    written = []
    for suffix, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, address in views.items():
            page.goto(address)
            path = DOCS / f"member-{name}{suffix}.png"
            page.screenshot(path=path)
            written.append(path)
    return written


@contextlib.contextmanager
def demo_site() -> Iterator[tuple[str, tuple[str, str]]]:
    """`dailypapers serve` on a fresh home (it loads the demo), on a free port, with SEED's members:
    its address and what SEED printed."""
    with tempfile.TemporaryDirectory(prefix="dailypapers-screenshots-") as home:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(DAILYPAPERS_HOME=home, DAILYPAPERS_SEARCH_SEMANTIC="0")
        server = subprocess.Popen(
            [sys.executable, "-m", "dailypapers", "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_answering(url, server)
            seeded = subprocess.run(
                [sys.executable, "-m", "dailypapers", "shell", "-c", SEED],
                env=env,
                capture_output=True,
                text=True,
            )
            if seeded.returncode:
                sys.exit(f"screenshots: seeding the members failed:\n{seeded.stderr[-3000:]}")
            paper_id, collection = seeded.stdout.split()[-2:]
            yield url, (paper_id, collection)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_answering(url: str, server: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("screenshots: the demo site exited before it answered")
        with contextlib.suppress(OSError), urllib.request.urlopen(url + "/", timeout=5) as response:
            if response.status == 200:
                return
        time.sleep(0.3)
    sys.exit("screenshots: the demo site did not answer in time")


if __name__ == "__main__":
    main()
