"""The sender as operators run it, in real processes: killed mid-batch, or two at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from dailypapers.digests.models import Delivery
from tests.digests.helpers import active_subscribers, due_period, ledger
from tests.support.factories import add_paper

SUBSCRIBERS = 300


def _env(command_env, smtp_server, **extra) -> dict[str, str]:
    return {
        **command_env,
        "DAILYPAPERS_EMAIL_HOST": "127.0.0.1",
        "DAILYPAPERS_EMAIL_PORT": str(smtp_server.port),
        "DAILYPAPERS_SITE_URL": "https://papers.example.org",
        **extra,
    }


def _sender(env, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "digest", "send", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def due_set(transactional_db):
    period = due_period("daily")
    add_paper("2601.00101", "A paper", day=period.start, votes=3, categories=["cs.CL"])
    add_paper("2601.00102", "Another paper", day=period.start, votes=1, categories=["cs.LG"])
    # Varied filters; every subscriber's digest has at least one paper.
    subs = active_subscribers(SUBSCRIBERS // 3, "all")
    subs += active_subscribers(SUBSCRIBERS // 3, "cl", categories="cs.CL")
    subs += active_subscribers(SUBSCRIBERS - 2 * (SUBSCRIBERS // 3), "kw", keywords="another")
    return subs


def _per_address(smtp_server) -> Counter:
    return Counter(r.lower() for m in smtp_server.messages for r in m.recipients)


def test_a_killed_sender_resumes_with_no_duplicate_and_no_gap(command_env, smtp_server, due_set):
    # Each message waits a moment before SMTP (after its ledger row says "sending"), so the kill
    # lands in the middle of the batch, with one delivery claimed and not yet handed over.
    # One connection, so exactly one delivery is mid-send when the kill comes.
    env = _env(
        command_env, smtp_server, DAILYPAPERS_DIGEST_THROTTLE="0.3", DAILYPAPERS_DIGEST_SMTP_CONNECTIONS="1"
    )
    first = _sender(env, "-v", "2")
    started = 0
    for line in first.stdout:
        started += line.startswith("sending ")
        if started == 12:
            break
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)  # reaped, so the next sender sees that its pid is gone
    delivered = len(smtp_server.messages)
    assert 0 < delivered < SUBSCRIBERS
    # The delivery it was handing over (one connection: at most one) is left "sending".
    mid_send = Delivery.objects.filter(status="sending").count()
    assert mid_send <= 1
    assert Delivery.objects.filter(status="pending").exists()

    rerun = subprocess.run(
        [sys.executable, "-m", "dailypapers", "digest", "send"],
        env=_env(command_env, smtp_server),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"{mid_send} recovered" in rerun.stdout
    smtp_server.wait_for(SUBSCRIBERS)
    assert _per_address(smtp_server) == {s.email: 1 for s in due_set}
    assert ledger() == {"sent": SUBSCRIBERS}


def test_two_senders_at_once_never_send_twice(command_env, smtp_server, due_set):
    env = _env(command_env, smtp_server, DAILYPAPERS_DIGEST_THROTTLE="0.002")
    senders = [_sender(env), _sender(env)]
    for sender in senders:
        out, err = sender.communicate(timeout=300)
        assert sender.returncode == 0, err
    smtp_server.wait_for(SUBSCRIBERS)
    assert _per_address(smtp_server) == {s.email: 1 for s in due_set}
    assert ledger() == {"sent": SUBSCRIBERS}
    # Every Message-ID is distinct: one per ledger row.
    ids = [m.message["Message-ID"] for m in smtp_server.messages]
    assert len(set(ids)) == SUBSCRIBERS


def test_the_loop_worker_sends_and_keeps_running(command_env, smtp_server, due_set):
    worker = _sender(_env(command_env, smtp_server), "--loop", "--interval", "0.5")
    try:
        smtp_server.wait_for(SUBSCRIBERS, timeout=120)
        assert worker.poll() is None
    finally:
        worker.send_signal(signal.SIGINT)
        worker.communicate(timeout=30)
    assert _per_address(smtp_server) == {s.email: 1 for s in due_set}


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _start_pairs(command_env, smtp_server, count: int) -> list[tuple[subprocess.Popen, list[int]]]:
    """`count` times `digest send --processes 2 --loop`, all sending (slowly) when this returns."""
    env = _env(
        command_env, smtp_server, DAILYPAPERS_DIGEST_THROTTLE="0.05", DAILYPAPERS_DIGEST_SMTP_CONNECTIONS="1"
    )
    parents = [_sender(env, "--processes", "2", "--loop", "--interval", "0.5") for _ in range(count)]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (
        any(len(_children(p.pid)) < 2 for p in parents) or len(smtp_server.messages) < 10
    ):
        time.sleep(0.05)
    pairs = [(p, _children(p.pid)) for p in parents]
    assert all(len(children) == 2 and p.poll() is None for p, children in pairs)
    return pairs


def _gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(_alive(p) for p in pids)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the children through Linux's /proc")
def test_processes_children_and_parent_end_together(command_env, smtp_server, due_set):
    # Two `--processes 2 --loop` commands share the backlog (one start-up for both cases): the
    # first loses its parent, the second one of its children, both to SIGKILL.
    first, second = _start_pairs(command_env, smtp_server, 2)
    (parent, children), (other_parent, other_children) = first, second
    killed_at = time.monotonic()
    os.kill(parent.pid, signal.SIGKILL)
    os.kill(other_children[0], signal.SIGKILL)
    try:
        _, err = other_parent.communicate(timeout=10)
        assert time.monotonic() - killed_at < 5
        assert _gone_within(children + other_children, 5)
    finally:
        parent.wait(timeout=10)
        if other_parent.poll() is None:
            other_parent.kill()
        for pid in children + other_children:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert other_parent.returncode != 0
    assert "sender process 1 of 2" in err and "was killed by SIGKILL" in err
    assert "Traceback" not in err
    # What was in hand is recovered by the next run (test above); nothing was sent twice.
    assert max(_per_address(smtp_server).values()) == 1
