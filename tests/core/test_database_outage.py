"""The served site while its database restarts: 503 with Retry-After (JSON under /api/), never a
500 or a traceback, and back to 200 on its own once the database returns. The database sits
behind a loopback proxy that plays the restart (tests/support/db_outage.py)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from email.message import Message

import dj_database_url
import pytest

from tests.support.db_outage import DatabaseProxy
from tests.support.served import serve, server_database

pytestmark = pytest.mark.skipif(
    not __import__("os").environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="a database restart needs a database server; SQLite is a file with nothing to restart",
)


def _get(url: str) -> tuple[int, Message, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_the_site_answers_503_while_the_database_is_away_and_recovers(tmp_path):
    with server_database() as database_url:
        config = dj_database_url.parse(database_url)
        with (
            DatabaseProxy(config["HOST"] or "127.0.0.1", int(config["PORT"] or 5432)) as proxy,
            serve(tmp_path / "home", proxy.url(database_url), "--no-demo") as site,
        ):
            api = site.url + "/api/daily_papers"
            assert _get(api)[0] == 200

            proxy.cut()
            status, headers, body = _get(api)
            assert status == 503, body[:500]
            assert headers["Content-Type"] == "application/json"
            assert int(headers["Retry-After"]) > 0
            assert json.loads(body)["code"] == "database_unavailable"
            status, headers, body = _get(site.url + "/")
            assert status == 503 and headers["Content-Type"].startswith("text/html")
            assert int(headers["Retry-After"]) > 0
            assert b"Back in a moment" in body and b"Traceback" not in body
            # A client polling through a 1 s outage sees 503s only, never a 500.
            statuses = []
            restore_at = time.monotonic() + 1
            while time.monotonic() < restore_at:
                statuses.append(_get(api)[0])
                time.sleep(0.05)
            assert set(statuses) == {503}

            proxy.restore()
            back_at = time.monotonic()
            failed = 0
            while (status := _get(api)[0]) != 200 and time.monotonic() - back_at < 20:
                assert status == 503
                failed += 1
                time.sleep(0.05)
            recovered_in = time.monotonic() - back_at
            assert status == 200
            assert _get(site.url + "/")[0] == 200
            print(f"back {recovered_in * 1000:.0f} ms after the database; {failed} requests failed meanwhile")
    assert not [line for line in site.output if "Traceback" in line]
