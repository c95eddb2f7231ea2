"""Start the real `dailypapers serve` (granian, whitenoise, demo loading) in a subprocess.

`serve` starts on the home it is given (an empty one: a first start, migrations and the demo included);
`prepared_site` starts on a copy of a home, and a database, that a first start already set up once per
test run, which spares each site the seconds of migrating and loading the demo."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
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


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def _admin(url: str) -> dict:
    config = dj_database_url.parse(url)
    return dict(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        dbname="postgres",
        password=config["PASSWORD"] or None,
        autocommit=True,
    )


def _create_database(url: str, template: str | None = None) -> str:
    import psycopg

    name = f"dailypapers_served_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**_admin(url)) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return name


def _drop_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(**_admin(url)) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def server_database(template: str | None = None) -> Iterator[str | None]:
    """A database of its own for the served site: the run's engine, never the test database. On
    PostgreSQL, `template` names a database to copy."""
    url = _postgres_url()
    if url is None:
        yield None  # SQLite in the site's own home folder
        return
    name = _create_database(url, template)
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        _drop_database(url, name)


PREPARE = """
import os, django
os.environ['DJANGO_SETTINGS_MODULE'] = 'dailypapers.settings'
django.setup()
from django.core.management import call_command
from dailypapers.core.schema import ensure_schema
ensure_schema(report=print)
call_command('collectstatic', interactive=False, verbosity=0)
if DEMO:
    from dailypapers.papers.signals import batched_changes
    from dailypapers.search.indexing import update_index
    from dailypapers.sources.demo import load_demo
    with batched_changes(notify=False):  # indexed below, here, rather than by a background process
        load_demo()
    update_index()  # keywords, and the vectors that ship with the demo
"""
_prepared: dict[tuple[str | None, bool], tuple[Path, str | None]] = {}


def _prepare(demo: bool) -> tuple[Path, str | None]:
    """A home (and on PostgreSQL a database) as a first start of `serve` leaves them: migrated, static
    files collected, and with `demo` the demo papers loaded and indexed. Made once per test process."""
    url = _postgres_url()
    key = (url, demo)
    if key not in _prepared:
        home = Path(tempfile.mkdtemp(prefix="dailypapers-prepared-")) / "home"
        name = _create_database(url) if url else None
        atexit.register(shutil.rmtree, home.parent, True)
        if url and name:
            atexit.register(_drop_database, url, name)
        env = _site_environment(home, url and url.rsplit("/", 1)[0] + "/" + name, semantic_search=True)
        done = subprocess.run(
            [sys.executable, "-c", f"DEMO = {demo}\n" + PREPARE],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode:
            raise RuntimeError(f"preparing a site failed:\n{done.stdout}{done.stderr}")
        _prepared[key] = (home, name)
    return _prepared[key]


@contextlib.contextmanager
def prepared_site(home: Path, *extra: str, demo: bool = True, **kwargs) -> Iterator[Served]:
    """`serve` (same arguments) on a copy of a prepared home and database (see `_prepare`): for the
    tests about what a running site does, not about its first start."""
    prepared_home, template = _prepare(demo)
    with server_database(template) as database_url:
        shutil.copytree(prepared_home, home, dirs_exist_ok=True)
        args = extra if demo else ("--no-demo", *extra)
        with serve(home, database_url, *args, **kwargs) as served:
            yield served


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
        # Keep reading what the server prints (its logs): a full pipe would stop it mid-request.
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
