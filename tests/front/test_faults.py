"""Faults under load, on the served site (granian, 2 workers): a worker killed with SIGKILL, and
PostgreSQL going away while members vote through the API (the loopback proxy plays the restart).
The measured figures are in bench/worker_kill.py and the README's "Reliability" section."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import dj_database_url
import pytest

from dailypapers.front.management.commands import serve as serve_command
from tests.support.db_outage import DatabaseProxy
from tests.support.served import prepared_site, serve, server_database

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _workers(master: int) -> set[int]:
    """The web workers: the children of `dailypapers serve` (granian's main process), not its indexer
    nor its recommendations worker."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if parent == master and b"index" not in cmdline and b"recommend" not in cmdline:
            found.add(int(entry.name))
    return found


def _status(request: urllib.request.Request | str) -> int:
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, http.client.HTTPException):
        return 0  # the connection broke: the request was in flight in the killed worker


def test_a_worker_killed_under_load_comes_back_and_the_site_keeps_answering(tmp_path, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_API_READ_RATE", "0/m")
    with prepared_site(tmp_path / "home", "--workers", "2", demo=False) as site:
        master = site.process.pid
        before = _workers(master)
        assert len(before) == 2
        results: list[tuple[float, int]] = []
        stop = threading.Event()

        def client(path: str) -> None:
            while not stop.is_set():
                results.append((time.monotonic(), _status(site.url + path)))

        clients = [
            threading.Thread(target=client, args=(p,)) for p in ("/", "/api/daily_papers", "/healthz") * 2
        ]
        for thread in clients:
            thread.start()
        try:
            time.sleep(0.5)
            victim = min(before)
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            while not (_workers(master) - before) and time.monotonic() - killed_at < 15:
                time.sleep(0.02)
            back_at = time.monotonic()
            time.sleep(0.5)  # the new worker serves too
        finally:
            stop.set()
            for thread in clients:
                thread.join(timeout=15)
        after = _workers(master)
        assert victim not in after and len(after) == 2 and after - before, (before, after)
        # (when each request started, its status)
        failed = [(round(t - killed_at, 3), status) for t, status in results if status != 200]
        # Only what the killed worker held may fail: requests in flight, and connections it had taken
        # from the listening socket in the moment before it died (a client that lost one request and
        # sent the next at once may lose that one too: 6 clients lost 5-7 requests a kill).
        assert len(failed) <= 2 * len(clients), failed
        assert all(started <= 0.1 for started, _ in failed), failed
        assert [s for t, s in results if t > back_at + 0.1 and s != 200] == []
        assert sum(1 for t, s in results if t > back_at and s == 200) > 5
        print(
            f"replacement after {(back_at - killed_at) * 1000:.0f} ms; {len(failed)} of {len(results)} failed"
        )


def _python(env: dict[str, str], code: str) -> str:
    setup = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dailypapers.settings'; django.setup()\n"
    done = subprocess.run(
        [sys.executable, "-c", setup + code],
        env={**env, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


MEMBERS_AND_PAPERS = """
import json
from django.contrib.auth import get_user_model
from dailypapers.api.models import ApiToken
from dailypapers.sources.ingest import upsert
from dailypapers.sources.records import PaperRecord
upsert([PaperRecord(f"2601.{n:05d}", title=f"Paper {n}", abstract="A.", authors=["Ada"]) for n in range(40)])
# No password: tokens are all the voters need, and hashing one (Argon2) costs a second here.
voters = [get_user_model().objects.create_user(f"voter{m}", f"voter{m}@example.org") for m in range(4)]
print(json.dumps([ApiToken.issue(user, "load")[1] for user in voters]))
"""

VOTES = """
import json
from dailypapers.community.models import Upvote
from dailypapers.papers.models import Paper
votes = sorted(Upvote.objects.values_list("user__username", "paper__arxiv_id"))
counts = {p.arxiv_id: p.upvote_count for p in Paper.objects.all()}
print(json.dumps({"votes": votes, "counts": counts}))
"""


@pytest.mark.skipif(not POSTGRES, reason="a database restart needs a database server; SQLite is a file")
def test_no_vote_that_got_a_2xx_is_lost_while_postgresql_restarts(tmp_path, monkeypatch):
    monkeypatch.setenv("DAILYPAPERS_API_WRITE_RATE", "0/m")
    with server_database() as database_url, contextlib.ExitStack() as stack:
        config = dj_database_url.parse(database_url)
        proxy = stack.enter_context(DatabaseProxy(config["HOST"] or "127.0.0.1", int(config["PORT"] or 5432)))
        site = stack.enter_context(
            serve(tmp_path / "home", proxy.url(database_url), "--no-demo", "--workers", "2")
        )
        tokens = json.loads(_python(site.env, MEMBERS_AND_PAPERS))
        acknowledged: set[tuple[str, str]] = set()
        attempted: set[tuple[str, str]] = set()
        statuses: list[tuple[float, int]] = []

        stop = threading.Event()

        def voter(number: int) -> None:
            # Votes on until told to stop, well after the outage: on a fast machine 40 votes would
            # all be over before the database came back.
            n = 0
            while not stop.is_set():
                paper = f"2601.{n % 40:05d}"
                n += 1
                request = urllib.request.Request(
                    f"{site.url}/api/papers/{paper}/upvote",
                    data=b'{"on": true}',
                    headers={"Authorization": f"Bearer {tokens[number]}", "Content-Type": "application/json"},
                    method="POST",
                )
                attempted.add((f"voter{number}", paper))
                status = _status(request)
                statuses.append((time.monotonic(), status))
                if 200 <= status < 300:
                    acknowledged.add((f"voter{number}", paper))
                time.sleep(0.03)

        voters = [threading.Thread(target=voter, args=(m,)) for m in range(4)]
        for thread in voters:
            thread.start()
        time.sleep(0.6)
        with proxy.outage(1.5):
            pass
        restored_at = time.monotonic()
        time.sleep(1.5)
        stop.set()
        for thread in voters:
            thread.join(timeout=60)

        during = [s for t, s in statuses if t < restored_at and s != 200]
        assert during and set(during) <= {503}, (statuses, [x for x in site.output if "Error" in x][-20:])
        assert any(s == 200 for t, s in statuses if t > restored_at + 0.5)  # and the site came back
        stored = json.loads(_python(site.env, VOTES))
        votes = {tuple(v) for v in stored["votes"]}
        assert acknowledged <= votes  # every vote that got a 2xx is in the database
        assert votes <= attempted
        per_paper = {p: sum(1 for _, q in votes if q == p) for p in stored["counts"]}
        assert stored["counts"] == per_paper  # and each count is exact
        print(f"{len(acknowledged)} votes acknowledged, {len(votes)} stored, {len(during)} answered 503")
    assert not [line for line in site.output if "Traceback" in line]


@pytest.mark.one_pass("sqlite")
def test_workers_that_keep_dying_get_the_whole_server_started_again(tmp_path):
    """Granian gives up on a worker that dies twice within 5.5 s of its replacement; serve then
    starts the server again (once it has run long enough to show it is no start-up failure)."""
    with prepared_site(tmp_path / "home", "--workers", "2", demo=False) as site:
        master = site.process.pid
        time.sleep(serve_command.RESTART_AFTER_SECONDS + 1)
        first = _workers(master)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 15
        while not (_workers(master) - first) and time.monotonic() < deadline:
            time.sleep(0.02)
        (replacement,) = _workers(master) - first
        os.kill(replacement, signal.SIGKILL)  # again, at once: granian stops
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if _status(site.url + "/healthz") == 200 and len(_workers(master)) == 2:
                break
            time.sleep(0.2)
        assert _status(site.url + "/healthz") == 200
        assert site.process.poll() is None
        assert "starting the server again" in "\n".join(site.output)
