"""The disk fills up during `dailypapers import arxiv-snapshot`: played without privileges by a file
size limit (RLIMIT_FSIZE) on the import process, which the system enforces as it would a full disk
(the write fails with EFBIG; Python ignores SIGXFSZ). A one-line error, whole batches only, and the
same command run again, with room, ends with the catalogue of an import that never stopped."""

from __future__ import annotations

import gzip
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.served import _site_environment
from tests.support.shared import SHARED, need

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = SHARED / "data" / "arxiv-snapshot" / "arxiv-2025-03.jsonl.gz"
BATCH = 200

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="a file size limit on the import only limits files it writes: PostgreSQL's are the server's",
)


def _dailypapers(env: dict, *args: str, limit: int | None = None) -> subprocess.CompletedProcess:
    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "dailypapers", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        preexec_fn=limited if limit else None,
    )


def _catalogue(env: dict) -> str:
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'dailypapers.settings'; django.setup()\n"
        "from tests.support.factories import catalogue; print(repr(catalogue()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_full_disk_stops_the_import_cleanly_and_a_rerun_completes_it(tmp_path):
    need(SNAPSHOT.is_file(), f"the arXiv snapshot is not at {SNAPSHOT.parent}")
    snapshot = tmp_path / "snapshot.jsonl"
    with gzip.open(SNAPSHOT, "rt") as fh:
        snapshot.write_text("".join(next(fh) for _ in range(1000)))
    full, roomy = (
        _site_environment(tmp_path / name, None, semantic_search=False) for name in ("full", "roomy")
    )
    command = (
        "import",
        "arxiv-snapshot",
        str(snapshot),
        "--no-progress",
        "--no-index",
        "--batch-size",
        str(BATCH),
    )

    assert _dailypapers(full, "migrate", "-v0").returncode == 0
    database = tmp_path / "full" / "dailypapers.sqlite3"
    done = _dailypapers(full, *command, limit=database.stat().st_size + 400_000)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("CommandError: writing the database failed (SQLite: ")
    assert "is the disk full?" in done.stderr and "run the same import again" in done.stderr
    count_papers = "from dailypapers.papers.models import Paper; print(Paper.objects.count())"
    count = int(_dailypapers(full, "shell", "-c", count_papers).stdout.split()[-1])
    assert 0 < count < 1000 and count % BATCH == 0, count  # whole batches, nothing half-written

    done = _dailypapers(full, *command)  # room again: the same command
    assert done.returncode == 0, done.stderr
    assert f"{1000 - count} new, 0 updated, {count} unchanged" in done.stdout
    assert _dailypapers(roomy, *command).returncode == 0  # an import that never stopped
    assert _catalogue(full) == _catalogue(roomy)
