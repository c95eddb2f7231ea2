"""Fixtures every area shares. Real parts only: the database under test, real files from ../shared, real
servers. Each area's own fixtures are in its folder's conftest.py; helpers that are not fixtures are in
tests/support/."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from tests.support.shared import need

# Settings of the commands and servers the tests start (see _commands_run_the_site_settings).
SITE_SETTINGS = "dailypapers.settings"

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(autouse=True, scope="session")
def _commands_run_the_site_settings():
    """Only this process uses tests.settings: the `python -m dailypapers ...` commands and servers the
    tests start run the settings an operator's do (and need not find the tests package)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_SETTINGS_MODULE", SITE_SETTINGS)
        yield


def pytest_configure(config):
    from django.conf import settings

    # Started in the background without job control (a script's `cmd &`), the suite ignores SIGINT,
    # and so would every command it starts: a test that stops a `--loop` worker as Ctrl-C does would
    # wait in vain, and the worker would run on into later tests. A handler here is reset to the
    # default in each child.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)

    # Before collection: a module that builds the WSGI app on import would have WhiteNoise warn.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


# When scripts/test runs the SQLite and PostgreSQL passes side by side it sets DAILYPAPERS_TEST_PASS to
# the pass's database, and two kinds of test run in one pass only, as every database behaviour has
# tests of its own in both passes:
# - browser modules: what a reader sees and does, which both databases serve alike (driving Chromium
#   twice was a third of the suite's time); the table below says which pass runs each;
# - tests marked `one_pass("sqlite")` or `one_pass("postgresql")`, whose subject the database does not
#   change: a command that never opens it, process supervision, search quality over the index, a whole
#   archive's files read (the importer's writes are tested on both databases by the rest of its module).
# The choices keep the two passes about equally long. Unset (plain pytest, SERIAL=1): everything runs,
# on whichever database the run uses.
BROWSER_PASS_POSTGRESQL = {
    "tests/digests/test_browser.py",
    "tests/front/test_browser.py",
    "tests/recommend/test_browser.py",
}


def _pass_of(item: pytest.Item, module: str) -> str | None:
    """The one pass this test runs in when the passes run side by side; None: both."""
    marker = item.get_closest_marker("one_pass")
    if marker is not None:
        if marker.args[:1] not in (("sqlite",), ("postgresql",)):  # a typo would drop it from both
            raise pytest.UsageError(f"{item.nodeid}: one_pass takes 'sqlite' or 'postgresql'")
        return marker.args[0]
    if item.get_closest_marker("browser"):
        return "postgresql" if module in BROWSER_PASS_POSTGRESQL else "sqlite"
    return None


def pytest_collection_modifyitems(config, items):
    share = os.environ.get("DAILYPAPERS_TEST_PASS", "")
    if share not in {"sqlite", "postgresql"}:
        return
    keep, drop = [], []
    for item in items:
        module = Path(str(item.fspath)).relative_to(config.rootpath).as_posix()
        (drop if _pass_of(item, module) not in {None, share} else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(autouse=True)
def _limits_count_from_nothing():
    """Each test's limits start from no events. The database's counters roll back with the test;
    the counter file (core.limits, SQLite) does not."""
    yield
    from django.conf import settings

    from dailypapers.core import limits

    if (settings.HOME / "limit-counters").exists():
        limits.file_store().clear()


@pytest.fixture(autouse=True)
def _no_worker_heartbeats():
    """Each test starts with no worker heartbeat in the home: a `--loop` worker a test (or an
    interrupted run) killed leaves its heartbeat overdue, and /healthz would answer 503 in every later
    test (core.heartbeat)."""
    from dailypapers.core import heartbeat

    shutil.rmtree(heartbeat.folder(), ignore_errors=True)
    yield
    shutil.rmtree(heartbeat.folder(), ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_page_copies_in_memory():
    """Each test starts with no shared page kept in this process's memory (core.pagecache), as a test
    that empties the cache expects; copies a test leaves would be checked against its stamps anyway."""
    from dailypapers.core import door, pagecache

    pagecache._memory.clear()
    door.forget()
    yield


@pytest.fixture
def site_password_hashers(settings):
    """The site's own password hashers (Argon2 first) in place of the test settings' fast one."""
    from tests.settings import SITE_PASSWORD_HASHERS

    settings.PASSWORD_HASHERS = SITE_PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _own_search_index(settings, tmp_path, monkeypatch):
    """Each test's search index lives in its own folder (papers are indexed as they arrive).

    What the search app hands to a background `dailypapers index` is done in-process, at once: that
    process would open the database named in the environment, not the test database."""
    from dailypapers.search import indexing, instance, receivers

    settings.SEARCH_DIR = tmp_path / "search"
    instance.reset()
    monkeypatch.setattr(receivers, "index_in_background", lambda paper_ids: indexing.update_index(paper_ids))
    yield settings.SEARCH_DIR
    instance.reset()


@pytest.fixture
def replay_server():
    """A loopback HTTP server; tests add routes that answer from recorded arXiv traffic."""
    from tests.support.replay import FIXTURES, ReplayServer

    need(FIXTURES.is_dir(), f"the recorded arXiv traffic is not at {FIXTURES}")
    server = ReplayServer().start()
    yield server
    server.stop()


@pytest.fixture
def api(replay_server, settings):
    """The replay server answering as arXiv's API (tests/api's modules have an `api` of their own)."""
    from tests.support.recorded_arxiv import recorded, replay_arxiv_api

    settings.ARXIV_API_URL = replay_server.url + "/api/query"
    replay_server.route("/api/query", replay_arxiv_api(recorded()))
    return replay_server


@pytest.fixture
def arxiv(replay_server, settings):
    """The replay server answering as arXiv's RSS and OAI-PMH services."""
    from tests.support.recorded_arxiv import RSS_PATH, TwoPages
    from tests.support.replay import FIXTURES, Reply

    settings.ARXIV_RSS_URL = replay_server.url + "/rss/"
    settings.ARXIV_OAI_URL = replay_server.url + "/oai"
    settings.ARXIV_DELAY = 0
    settings.SOURCE_RETRIES = 1
    settings.SOURCE_BACKOFF = 0
    settings.SEARCH_SEMANTIC = False  # each pass indexes the RSS day's hundreds of papers: keywords suffice
    feed = (FIXTURES / "arxiv-rss" / "rss_mock_feed.xml").read_bytes()
    replay_server.route(
        RSS_PATH, lambda request: Reply(feed, headers={"Content-Type": "application/rss+xml"})
    )
    replay_server.route("/oai", TwoPages())
    return replay_server


@pytest.fixture
def command_env(transactional_db, settings) -> dict[str, str]:
    """Environment for running `python -m dailypapers ...` in a subprocess against the test database.

    The test must use committed data (transactional_db), since the subprocess has its own connection.
    The command searches as the test does: the same index folder, with or without meaning.
    """
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{db['NAME']}"
    else:
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "PYTHONUNBUFFERED": "1",
        "DAILYPAPERS_ARXIV_DELAY": "0",
        "DAILYPAPERS_SEARCH_DIR": str(settings.SEARCH_DIR),
        "DAILYPAPERS_SEARCH_SEMANTIC": "1" if settings.SEARCH_SEMANTIC else "0",
    }


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django's e-mail goes to it for the test."""
    from tests.support.smtp import SMTPServer

    server = SMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (the system's, driven by Playwright), for the tests marked `browser`."""
    executable = (
        os.environ.get("DAILYPAPERS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    need(bool(executable), "no Chromium on this machine (Debian package 'chromium')")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
