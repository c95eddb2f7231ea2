"""`/healthz` on the served site, as a load balancer sees it: 200 and every check while healthy; 503
naming the database while PostgreSQL is away (the loopback proxy) and healthy again after, without a
restart; 503 naming a `--loop` worker that stopped beating; no secrets in it."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import dj_database_url

from tests.support.db_outage import DatabaseProxy
from tests.support.served import serve, server_database


def _health(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=10) as response:
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, headers, body = exc.code, exc.headers, exc.read()
    # A load balancer's answer too carries the security headers, and is never cached.
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "same-origin"
    assert "no-store" in headers["Cache-Control"]
    return status, json.loads(body)


def _until(url: str, done, timeout: float = 30) -> tuple[int, dict]:
    deadline = time.monotonic() + timeout
    while True:
        status, body = _health(url)
        if done(status, body) or time.monotonic() > deadline:
            return status, body
        time.sleep(0.1)


def test_healthz_reports_the_database_the_cache_the_index_and_worker_heartbeats(tmp_path, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_HEALTH_HEARTBEAT_GRACE", "1")
    with server_database() as database_url, contextlib.ExitStack() as stack:
        proxy = None
        if database_url:  # PostgreSQL: reached through a proxy that can play an outage
            config = dj_database_url.parse(database_url)
            proxy = stack.enter_context(
                DatabaseProxy(config["HOST"] or "127.0.0.1", int(config["PORT"] or 5432))
            )
            database_url = proxy.url(database_url)
        site = stack.enter_context(serve(tmp_path / "home", database_url, "--no-demo"))

        status, body = _health(site.url)
        assert status == 200 and body["status"] == "ok" and body["failing"] == [], body
        checks = body["checks"]
        assert checks["database"]["ok"] and checks["cache"]["ok"] and checks["search_index"]["ok"]
        assert checks["workers"] == {}  # none has run on this node

        if proxy is not None:
            proxy.cut()
            status, body = _health(site.url)
            assert status == 503 and body["failing"] == ["database"], body
            assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
            proxy.restore()
            status, body = _until(site.url, lambda status, body: status == 200)
            assert status == 200, body

        worker = subprocess.Popen(
            [sys.executable, "-m", "dailypapers", "digest", "send", "--loop", "--interval", "0.3"],
            env=site.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            status, body = _until(site.url, lambda status, body: "digest" in body["checks"]["workers"])
            assert status == 200 and body["checks"]["workers"]["digest"]["ok"], body
        finally:
            worker.kill()
            worker.wait()
        # Its next beat was due 0.3 s after its last; past the grace of 1 s it counts as stopped.
        status, body = _until(site.url, lambda status, body: status == 503, timeout=10)
        assert status == 503 and body["failing"] == ["workers.digest"], body
        assert body["checks"]["workers"]["digest"]["overdue_s"] > 1

        text = json.dumps(body)
        assert str(tmp_path) not in text and "postgres" not in text and "secret" not in text
    assert not [line for line in site.output if "Traceback" in line]
