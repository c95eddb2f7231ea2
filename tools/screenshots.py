"""Refresh the README's screenshots: the home page, a paper page and search, at 1280 px and at 390 px.

    python tools/screenshots.py                          # starts the demo site in a fresh home, then stops it
    python tools/screenshots.py --url http://127.0.0.1:8000   # uses a site already running

Writes docs/screenshot-{home,paper,search}.png (1280 px) and docs/screenshot-{home,paper,search}-phone.png
(390 px), in light mode. Needs Playwright and Chromium (DAILYPAPERS_CHROMIUM, or `chromium` on PATH).
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
        url = args.url.rstrip("/") if args.url else stack.enter_context(demo_site())
        for path in take_screenshots(url):
            print(path)


def take_screenshots(url: str) -> list[Path]:
    """The six pictures, written to docs/; their paths."""
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
        browser.close()
    return written


@contextlib.contextmanager
def demo_site() -> Iterator[str]:
    """`dailypapers serve` on a fresh home (it loads the demo), on a free port; its address."""
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
            yield url
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
