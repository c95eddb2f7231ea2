"""The database goes away (a restart) while `digest send` runs: what the SMTP server accepted is
marked `sent` once the database is back, never queued again, even if the sender is killed while
it waits. The database sits behind a loopback proxy that plays the restart (tests/support)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from tests.digests.helpers import active_subscribers, due_period, ledger
from tests.support.db_outage import DatabaseProxy
from tests.support.factories import add_paper

SUBSCRIBERS = 20

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a database restart needs a database server; SQLite is a file with nothing to restart",
)


@pytest.fixture
def due(transactional_db):
    add_paper("2601.00301", "A paper", day=due_period().start, votes=3)
    return active_subscribers(SUBSCRIBERS)


@pytest.fixture
def proxy():
    with DatabaseProxy(
        connection.settings_dict["HOST"] or "127.0.0.1", int(connection.settings_dict["PORT"] or 5432)
    ) as proxy:
        yield proxy


def _env(command_env, smtp_server, proxy) -> dict[str, str]:
    return {
        **command_env,
        "DATABASE_URL": proxy.url(command_env["DATABASE_URL"]),
        "DAILYPAPERS_EMAIL_HOST": "127.0.0.1",
        "DAILYPAPERS_EMAIL_PORT": str(smtp_server.port),
        "DAILYPAPERS_SITE_URL": "https://papers.example.org",
        "DAILYPAPERS_DIGEST_SMTP_CONNECTIONS": "1",  # the cut lands on one known digest
    }


def _cut_after(smtp_server, proxy, count: int) -> threading.Event:
    """The database goes away as the server accepts the `count`th message, before its 250 leaves."""
    real = smtp_server.handler.handle_DATA
    done = threading.Event()

    async def accept_then_cut(server, session, envelope):  # noqa: N802
        reply = await real(server, session, envelope)
        if len(smtp_server.messages) == count:
            proxy.cut()
            done.set()
        return reply

    smtp_server.handler.handle_DATA = accept_then_cut
    return done


def _per_address(smtp_server) -> Counter:
    return Counter(r.lower() for m in smtp_server.messages for r in m.recipients)


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_a_worker_rides_out_a_database_restart_and_sends_each_digest_once(
    command_env, smtp_server, due, proxy
):
    cut = _cut_after(smtp_server, proxy, 3)
    worker = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "digest", "send", "--loop", "--interval", "0.2"],
        env=_env(command_env, smtp_server, proxy),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert cut.wait(60)
        time.sleep(1.5)  # the database is away for 1.5 s
        proxy.restore()
        assert _wait(lambda: ledger() == {"sent": SUBSCRIBERS}, 60), ledger()
    finally:
        worker.send_signal(signal.SIGINT)
        _, err = worker.communicate(timeout=30)
    assert "waiting to record it" in err  # the accepted digest waited for the database
    assert _per_address(smtp_server) == {s.email: 1 for s in due}


def test_a_sender_killed_while_waiting_for_the_database_sends_nothing_twice(
    command_env, smtp_server, due, proxy
):
    cut = _cut_after(smtp_server, proxy, 3)
    env = _env(command_env, smtp_server, proxy)
    sender = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "digest", "send"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert cut.wait(60)
    time.sleep(0.5)  # it has the 250 and waits for the database to record it
    assert sender.poll() is None
    os.kill(sender.pid, signal.SIGKILL)
    sender.wait(timeout=30)
    proxy.restore()
    assert ledger().get("sending") == 1  # the accepted digest: the ledger never heard of its 250

    rerun = subprocess.run(
        [sys.executable, "-m", "dailypapers", "digest", "send"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "1 recovered" in rerun.stdout
    assert _wait(lambda: len(smtp_server.messages) >= SUBSCRIBERS, 10)
    assert _per_address(smtp_server) == {s.email: 1 for s in due}
    assert ledger() == {"sent": SUBSCRIBERS}
