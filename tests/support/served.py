"""Start the real `dailypapers serve` (gunicorn, whitenoise, demo loading) in a subprocess."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dj_database_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server_database() -> Iterator[str | None]:
    """A database of its own for the served site: the run's engine, never the test database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield None  # SQLite in the site's own home folder
        return
    import psycopg

    config = dj_database_url.parse(url)
    name = f"dailypapers_served_{uuid.uuid4().hex[:10]}"
    admin = dict(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        dbname="postgres",
        password=config["PASSWORD"] or None,
        autocommit=True,
    )
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Served:
    url: str
    process: subprocess.Popen
    output: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)  # the site's environment: its home and database

    def command(self, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
        """Run `dailypapers <args>` on the served site's home and database; returns what it printed."""
        done = subprocess.run(
            [sys.executable, "-m", "dailypapers", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"dailypapers {args[0]} failed:\n{done.stdout}{done.stderr}")
        return done.stdout


@contextlib.contextmanager
def serve(
    home: Path,
    database_url: str | None,
    *extra: str,
    timeout: float = 90,
    semantic_search: bool = False,
    env: dict[str, str] | None = None,
) -> Iterator[Served]:
    """The real site in a subprocess. Its search indexes the demo by keywords only, unless asked:
    embedding the 440 demo papers at every start would cost each test many seconds. `env` adds
    to its environment (DAILYPAPERS_* settings); no search follower is started unless it asks."""
    port = free_port()
    env = {**_site_environment(home, database_url, semantic_search), **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "serve", "--port", str(port), "--workers", "1", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    served = Served(f"http://127.0.0.1:{port}", process, env=env)
    reader = None
    try:
        deadline = time.monotonic() + timeout
        for line in process.stdout:
            served.output.append(line.rstrip("\n"))
            if "is running at" in line or time.monotonic() > deadline:
                break
        # Keep reading what the server prints (its access log): a full pipe would stop it mid-request.
        reader = threading.Thread(target=_keep_reading, args=(process, served.output), daemon=True)
        reader.start()
        _wait_until_answering(served, deadline)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if reader is not None:
            reader.join(timeout=10)
        else:
            served.output.extend(process.stdout.read().splitlines())


def _keep_reading(process: subprocess.Popen, output: list[str]) -> None:
    for line in process.stdout:
        output.append(line.rstrip("\n")[:2000])  # a logged 200 KB address is kept short


def _site_environment(home: Path, database_url: str | None, semantic_search: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DAILYPAPERS_DEBUG"}}
    env["DAILYPAPERS_HOME"] = str(home)
    env["DAILYPAPERS_SEARCH_SEMANTIC"] = "1" if semantic_search else "0"
    env["PYTHONUNBUFFERED"] = "1"
    env["DAILYPAPERS_SEARCH_FOLLOW"] = "0"  # one node: nothing to follow, one process less
    env["DAILYPAPERS_RECOMMEND_WORKER"] = "0"  # pages train members' models themselves: one process less
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _wait_until_answering(served: Served, deadline: float) -> None:
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError("server exited:\n" + "\n".join(served.output))
        try:
            with urllib.request.urlopen(served.url + "/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not answer in time:\n" + "\n".join(served.output))
