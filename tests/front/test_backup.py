"""`dailypapers backup` and `restore`, run as an operator would: a catalogue with papers, listings,
votes, comments, members and digests is backed up, restored into a fresh home and database, and
every row of every table is equal, and search finds the same papers."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.served import _site_environment, server_database

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ["diffusion", "retrieval augmented", "Lovelace"]


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180
    )


def _python(env: dict[str, str], code: str) -> str:
    setup = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dailypapers.settings'; django.setup()\n"
    done = _run({**env, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}, "-c", setup + code)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def build_catalogue() -> None:
    """Run in the first site's process: one of everything the site keeps."""
    from dailypapers.core.schema import ensure_schema

    ensure_schema()  # as `migrate` would

    from dailypapers.community.models import Comment, Upvote
    from dailypapers.digests.models import Subscription
    from dailypapers.papers.models import Paper
    from dailypapers.search.indexing import update_index
    from tests.support.factories import add_paper, add_user

    day = dt.date(2026, 6, 19)
    titles = ["Diffusion models for proteins", "Retrieval augmented generation", "Sparse attention"]
    for n, title in enumerate(titles):
        add_paper(f"2606.0000{n}", title, day=day - dt.timedelta(days=n), votes=n, categories=["cs.LG"])
    ada, alan = add_user("ada"), add_user("alan")
    papers = list(Paper.objects.order_by("id"))
    for user in (ada, alan):
        Upvote.toggle(user, papers[0], on=True)
    Upvote.toggle(ada, papers[1], on=True)
    root = Comment.objects.create(paper=papers[0], author=ada, body="A *fine* paper — ünïcode too.")
    Comment.objects.create(paper=papers[0], author=alan, parent=root, body="Agreed.")
    Subscription.objects.create(email="reader@example.org", user=alan, status="active", keywords="diffusion")
    update_index()  # as `index` would


def dump_tables() -> None:
    """Run in a site's process: every row of every table, in primary-key order, as JSON."""
    from django.db import connection

    from dailypapers.search.query import search_papers

    tables = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            tables[table] = [[repr(value) for value in row] for row in cursor.fetchall()]
    found = {q: [hit.paper.arxiv_id for hit in search_papers(q).hits] for q in QUERIES}
    print(json.dumps({"tables": tables, "search": found}))


def test_a_backup_restored_into_a_fresh_site_holds_every_row_and_finds_the_same_papers(tmp_path):
    with server_database() as first_db, server_database() as second_db:
        first = _site_environment(tmp_path / "first", first_db, semantic_search=False)
        second = _site_environment(tmp_path / "second", second_db, semantic_search=False)
        _python(first, "from tests.front.test_backup import build_catalogue; build_catalogue()")

        done = _run(first, "-m", "dailypapers", "backup", str(tmp_path / "backup"))
        assert done.returncode == 0, done.stderr
        manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
        assert manifest["engine"] in {"sqlite", "postgresql"} and manifest["version"] == 1
        assert manifest["tables"]["papers_paper"] == 3 and manifest["tables"]["community_upvote"] == 3

        done = _run(second, "-m", "dailypapers", "restore", str(tmp_path / "backup"))
        assert done.returncode == 0, done.stderr
        assert "rebuilt the search index" in done.stdout

        dump = "from tests.front.test_backup import dump_tables; dump_tables()"
        before, after = json.loads(_python(first, dump)), json.loads(_python(second, dump))
        assert set(before["tables"]) == set(after["tables"])
        for table in before["tables"]:  # table by table, so that a failure names the table
            assert after["tables"][table] == before["tables"][table], table
        assert sum(len(rows) for rows in after["tables"].values()) > 50
        assert before["search"] == after["search"]
        assert before["search"]["diffusion"] == ["2606.00000"]

        # Restoring over a database that holds data needs --force; a wrong path is one line.
        done = _run(second, "-m", "dailypapers", "restore", str(tmp_path / "backup"))
        assert done.returncode == 1
        assert done.stderr.strip().splitlines() == [
            "CommandError: the database is not empty: restore would replace it; add --force to do so"
        ]
        done = _run(second, "-m", "dailypapers", "restore", "--force", str(tmp_path / "backup"))
        assert done.returncode == 0, done.stderr
        done = _run(second, "-m", "dailypapers", "restore", str(tmp_path / "nothing"))
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "is not a dailypapers backup" in done.stderr
