"""Two web nodes, one site: two `dailypapers serve` processes with homes (and search indexes) of their
own, on one PostgreSQL and one Redis. A vote through one shows on the other at once; a paper that
arrives through one is found by search on the other within a minute (its index follower); digest
senders on both nodes, started together, send each digest exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import urllib.parse
import urllib.request
from collections import Counter

import pytest
from django.db import connection

from tests.support.redis_server import redis_server
from tests.support.served import serve, server_database
from tests.support.smtp import SMTPServer

SUBSCRIBERS = 40
SEED = textwrap.dedent(
    f"""
    from django.contrib.auth import get_user_model
    from dailypapers.api.models import ApiToken
    from tests.digests.helpers import active_subscribers, due_period
    from tests.support.factories import add_paper
    user = get_user_model().objects.create_user("ada", "ada@example.org", "a long passphrase")
    # A paper arriving through this node: indexed here at once, and logged for the other node.
    add_paper("2611.99001", "Quokka migration across islands", day=due_period("daily").start)
    active_subscribers({SUBSCRIBERS}, "node")
    print(ApiToken.issue(user, "writer")[1])
    """
)


def get(url: str, headers: dict[str, str] | None = None, data: dict | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, body, headers or {}), timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())


def found(node, words: str) -> list[str]:
    return [hit["paper"]["id"] for hit in get(f"{node.url}/api/papers/search?q={words}")]


def test_two_nodes_behave_as_one_site(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("several nodes share one PostgreSQL; a SQLite file belongs to one machine")
    smtp = SMTPServer().start()
    env = {
        "DAILYPAPERS_SEARCH_FOLLOW": "1",
        "DAILYPAPERS_SESSIONS_IN_CACHE": "1",
        "DAILYPAPERS_EMAIL_HOST": "127.0.0.1",
        "DAILYPAPERS_EMAIL_PORT": str(smtp.port),
    }
    try:
        with redis_server() as (redis_url, _), server_database() as database_url:
            env["DAILYPAPERS_CACHE_URL"] = redis_url
            with (
                serve(tmp_path / "a", database_url, "--no-demo", env=env) as a,
                serve(tmp_path / "b", database_url, "--no-demo", env=env) as b,
            ):
                _check(a, b, smtp)
    finally:
        smtp.stop()


def _check(a, b, smtp) -> None:
    started = time.monotonic()
    token = a.command("shell", "-c", SEED).split()[-1]
    arrived = time.monotonic()
    print(f"seeded in {arrived - started:.1f} s")

    # A vote through A is in B's answer at once (one database; nothing cached per node).
    paper = "2611.99001"
    before = get(f"{b.url}/api/papers/{paper}")["upvotes"]
    get(f"{a.url}/api/papers/{paper}/upvote", {"Authorization": f"Bearer {token}"}, {"on": "true"})
    assert get(f"{b.url}/api/papers/{paper}")["upvotes"] == before + 1

    # The paper that arrived through A: searchable there at once, on B once its follower polled.
    assert found(a, "quokka") == ["2611.99001"]
    while found(b, "quokka") != ["2611.99001"]:
        assert time.monotonic() - arrived < 60, "node B's index did not follow in 60 s"
        time.sleep(0.5)
    print(f"found on B {time.monotonic() - arrived:.1f} s after it arrived on A")

    # Digest senders on both nodes at once: every subscriber gets exactly one digest.
    senders = [
        subprocess.Popen(
            [sys.executable, "-m", "dailypapers", "digest", "send"],
            env=node.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for node in (a, b)
    ]
    for sender in senders:
        output, _ = sender.communicate(timeout=120)
        assert sender.returncode == 0, output
    print(f"digests sent by both nodes {time.monotonic() - arrived:.1f} s after arrival")
    per_address = Counter(r.lower() for m in smtp.messages for r in m.recipients)
    assert len(per_address) == SUBSCRIBERS and set(per_address.values()) == {1}, per_address.most_common(3)
