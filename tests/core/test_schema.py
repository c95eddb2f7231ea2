"""The first command an operator runs on a new, empty home works, whichever of ours it is: each brings
the schema up to date first, as `serve` does. Django's own commands say in one line what to run."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

from django.core.management import get_commands, load_command_class

from dailypapers.core.schema import DatabaseCommand
from tests.support.served import server_database

HF_ITEM = {
    "paper": {"id": "2606.19195", "title": "Moebius", "publishedAt": "2026-06-17T00:00:00.000Z"},
    "publishedAt": "2026-06-18T20:00:00.000Z",
}


def run_on_new_homes(tmp_path: Path, commands: dict[str, list[str]]) -> dict[str, tuple[int, str, str]]:
    """Run each command in a subprocess on a home (and database) of its own, side by side."""
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DAILYPAPERS_DEBUG"}}
    base["DAILYPAPERS_SEARCH_SEMANTIC"] = "0"
    with contextlib.ExitStack() as stack:
        running = {}
        for name, args in commands.items():
            env = dict(base, DAILYPAPERS_HOME=str(tmp_path / name))
            if database_url := stack.enter_context(server_database()):
                env["DATABASE_URL"] = database_url
            running[name] = subprocess.Popen(
                [sys.executable, "-m", "dailypapers", *args],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        return {name: (p.wait(timeout=240), *p.communicate()) for name, p in running.items()}


def test_our_first_commands_on_an_empty_home_work_and_djangos_say_what_to_run(tmp_path):
    day = tmp_path / "2026-06-19.json"
    day.write_text(json.dumps([HF_ITEM]))
    results = run_on_new_homes(
        tmp_path,
        {
            "import": ["import", "hf-daily", "--no-progress", str(day)],
            "index": ["index", "--no-progress"],
            "createsuperuser": ["createsuperuser", "--noinput", "--username", "admin"],
        },
    )
    for name in ("import", "index"):
        code, out, err = results[name]
        assert code == 0 and "Traceback" not in err, f"{name}:\n{out}\n{err}"
        assert "Bringing the database up to date" in err
    assert "Papers: 1 new" in results["import"][1]
    assert "0 papers searchable by keyword" in results["index"][1]

    code, _, err = results["createsuperuser"]
    assert code == 1 and len(err.strip().splitlines()) == 1, err
    assert err.startswith("dailypapers: error: the database lacks its tables")
    assert "run `dailypapers migrate` first" in err


def test_every_command_of_ours_brings_the_schema_up_to_date():
    """Each of our commands is a DatabaseCommand but `serve` (which does it itself, after checking its
    port), `backup` (which copies the database as it is, never changing it first), `restore`
    (which brings the restored schema up to date itself) and `eval-recommend` (which reads only the
    shared data files, never the database); the test above runs two on an empty home."""
    ours = {name: app for name, app in get_commands().items() if app.startswith("dailypapers.")}
    assert {"import", "sync", "arxiv", "index", "digest", "serve"} <= set(ours)
    for name, app in ours.items():
        if name not in ("serve", "backup", "restore", "eval-recommend"):
            assert isinstance(load_command_class(app, name), DatabaseCommand), name


def test_an_up_to_date_database_is_left_alone(db):
    from dailypapers.core import schema

    said: list[str] = []
    schema._up_to_date.discard("default")  # checked afresh, not remembered from another test
    schema.ensure_schema(report=said.append)
    assert schema.unapplied_migrations() == [] and said == []
