"""`dailypapers serve` from an empty home: migrate, demo, granian, whitenoise; a second start reuses it."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message

import pytest

from tests.support.served import serve, server_database


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, str]:
    """Status, headers and body of a GET, error statuses included."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def _long_addresses_get_the_sites_own_answer(site_url: str) -> None:
    """Past the 4,094 or 8,190 bytes many servers allow an address, the site answers, not a bare 414."""
    words = "retraining free adaptation of language models " * 220  # 10,120 characters
    page = f"{site_url}/papers/search?{urllib.parse.urlencode({'q': words})}"
    # htmx sends the page's address along in a header: that header is as long.
    status, _, html = fetch(page, headers={"HX-Current-URL": page})
    assert status == 200, html[:300]
    assert "Your search was 10,119 characters long; only its first 1,000 were used." in html
    status, headers, body = fetch(f"{site_url}/api/papers/search?{urllib.parse.urlencode({'q': words})}")
    assert status == 400 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"error": "q is 10,120 characters long; the API reads at most 2,000."}


def test_first_start_loads_the_demo_and_a_second_start_reuses_it(tmp_path):
    with server_database() as database_url:
        with serve(tmp_path, database_url) as site:
            status, headers, html = fetch(site.url + "/")
            assert status == 200 and headers["Server"] == "granian"
            assert "Friday, June 19, 2026" in html
            assert "Moebius: 0.2B Lightweight Image Inpainting Framework with 10B-Level Performance" in html
            css = re.search(r'href="(/static/dailypapers/style\.[0-9a-f]{12}\.css)"', html).group(1)
            status, headers, _ = fetch(site.url + css)
            assert status == 200 and "max-age=315360000" in headers["Cache-Control"]
            status, _, html = fetch(site.url + "/papers/2606.19195")
            assert status == 200 and "37 on Hugging Face" in html
            # A whole body goes out in one piece with its length, the stored copy's as the view's.
            for state in ("miss", "hit"):
                status, headers, body = fetch(site.url + "/api/papers/2606.19195")
                assert (status, headers["X-Cache"]) == (200, state)
                assert (
                    int(headers["Content-Length"]) == len(body.encode())
                    and "Transfer-Encoding" not in headers
                )
            # The demo is indexed beside the server: its papers become findable by title.
            query = site.url + "/api/papers/search?q=Moebius+Lightweight+Image+Inpainting"
            deadline = time.monotonic() + 120
            while "2606.19195" not in fetch(query)[2][:400] and time.monotonic() < deadline:
                time.sleep(0.5)
            assert '"2606.19195"' in fetch(query)[2][:400]
        first = "\n".join(site.output)
        assert "Empty site: loading the demo papers…" in first
        assert "Loaded 470 papers on 471 feed listings." in first
        assert f"Daily Papers is running at {site.url}/" in first
        assert "GET /papers/2606.19195" not in first  # no access log unless asked for

        with serve(tmp_path, database_url, "--access-log") as again:
            assert "Moebius" in fetch(again.url + "/")[2]
            _long_addresses_get_the_sites_own_answer(again.url)
            fetch(again.url + "/papers/2606.19195")
            # The line is written after the answer is sent: wait for it while the server runs.
            logged = re.compile(r'"GET /papers/2606\.19195 HTTP/1\.1" 200')
            deadline = time.monotonic() + 10
            while not logged.search("\n".join(again.output)) and time.monotonic() < deadline:
                time.sleep(0.1)
        second = "\n".join(again.output)
        assert "loading the demo" not in second
        assert logged.search(second), second[-2000:]


@pytest.mark.one_pass("sqlite")
def test_busy_port_is_a_clear_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "dailypapers", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            env={"DAILYPAPERS_HOME": str(tmp_path), "PATH": ""},
            timeout=60,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.one_pass("sqlite")
def test_cli_lists_its_commands():
    command = [sys.executable, "-m", "dailypapers", "--help"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "dailypapers help <subcommand>" in result.stdout
    for command in ("import", "serve", "sync", "migrate", "createsuperuser"):
        assert f"    {command}\n" in result.stdout


def test_serve_with_sync_fetches_new_papers_from_arxiv(tmp_path, replay_server, monkeypatch):
    from tests.support.replay import FIXTURES, Reply

    feed = (FIXTURES / "arxiv-rss" / "rss_mock_feed.xml").read_bytes()
    replay_server.route(
        "/rss/cs.CL", lambda request: Reply(feed, headers={"Content-Type": "application/rss+xml"})
    )
    replay_server.route("/oai", lambda request: Reply(b"unavailable", 503, {"Content-Type": "text/plain"}))
    for name, value in {"DAILYPAPERS_ARXIV_RSS_URL": replay_server.url + "/rss/",
                        "DAILYPAPERS_ARXIV_OAI_URL": replay_server.url + "/oai",
                        "DAILYPAPERS_CATEGORIES": "cs.CL", "DAILYPAPERS_ARXIV_DELAY": "0",
                        "DAILYPAPERS_SOURCE_RETRIES": "0"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    with server_database() as database_url, serve(tmp_path, database_url, "--sync", "--no-demo") as site:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if fetch(site.url + "/papers/2411.18126")[0] == 200:  # a cs.CL paper of the RSS day
                    break
            except urllib.error.HTTPError:
                time.sleep(0.5)
        else:
            raise AssertionError("the paper never arrived:\n" + "\n".join(site.output))
    output = "\n".join(site.output)
    assert "Fetching new papers from arXiv every 30 minutes" in output
    assert "oai: failed: " in output  # one source failing leaves the site and the other source alone


@pytest.mark.one_pass("sqlite")
def test_a_broken_setup_is_one_clear_line(tmp_path):
    cases = {
        "postgres://nobody@127.0.0.1:1/x": "dailypapers: error: the database cannot be used",
        "foo://bar": "dailypapers: error: DATABASE_URL: Scheme 'foo://' is unknown.",
    }
    for url, message in cases.items():
        env = {"DAILYPAPERS_HOME": str(tmp_path), "DATABASE_URL": url, "PATH": ""}
        result = subprocess.run(
            [sys.executable, "-m", "dailypapers", "migrate"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert result.returncode == 1
        assert result.stderr.startswith(message) and "Traceback" not in result.stderr
