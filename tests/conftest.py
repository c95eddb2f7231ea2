"""Shared fixtures. Real parts only: the database under test, real files from ../shared, real servers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DAILYPAPERS_SHARED", REPO.parent / "shared")).resolve()
HF_DIR = SHARED / "data" / "hf-daily-papers"
# In CI nothing may be skipped for want of a part: a skip there hides a missing install step.
STRICT = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(condition: bool, why: str) -> None:
    """Skip (or, in CI, fail) a test whose real part is missing on this machine."""
    if not condition:
        if STRICT:
            pytest.fail(f"required in CI: {why}")
        pytest.skip(why)


ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(autouse=True, scope="session")
def _static_root_exists():
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    # Hashed static names need collectstatic; the served-site tests cover that path.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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
    from tests.replay import FIXTURES, ReplayServer

    need(FIXTURES.is_dir(), f"the recorded arXiv traffic is not at {FIXTURES}")
    server = ReplayServer().start()
    yield server
    server.stop()


@pytest.fixture
def fetcher(settings):
    """The sources' HTTP client with no polite delay and no real sleeping between retries."""
    from dailypapers.sources.fetching import Fetcher

    settings.ARXIV_DELAY = 0
    client = Fetcher(sleep=lambda seconds: None)
    yield client
    client.close()


@pytest.fixture
def command_env(transactional_db, settings) -> dict[str, str]:
    """Environment for running `python -m dailypapers ...` in a subprocess against the test database.

    The test must use committed data (transactional_db), since the subprocess has its own connection.
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
    }


@pytest.fixture
def hf_dir() -> Path:
    need(HF_DIR.is_dir(), f"the Hugging Face archive is not at {HF_DIR}")
    return HF_DIR


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback; Django's e-mail goes to it for the test."""
    from tests.smtp import SMTPServer

    server = SMTPServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()
