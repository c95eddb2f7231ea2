"""Backups of the whole site: `dailypapers backup PATH` and `dailypapers restore PATH`.

A backup is a folder: `manifest.json` (format version, database engine, row counts of every table)
and the database, `database.sqlite3` (SQLite's online backup API: a consistent copy while the site
runs) or `database.pgdump` (pg_dump's custom format, taken in the same snapshot as the counts).

The search index is not in it: it is derived from the database (keywords from the papers, vectors
from the embeddings stored in `search.PaperEmbedding`), so restore rebuilds it with
`index --rebuild`, which embeds nothing again. The restored index then matches the restored rows
exactly, whatever the index files were doing while the backup ran, and a backup stays small.

It lives in front because restoring rebuilds the search index and must see every app's tables.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.apps import apps
from django.db import connection, transaction

import dailypapers

FORMAT = "dailypapers-backup"
VERSION = 1
MANIFEST = "manifest.json"
FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """What the operator must fix, in one sentence."""


def engine() -> str:
    if connection.vendor not in FILES:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {connection.vendor}")
    return connection.vendor


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _count_tables(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


# --- backup -------------------------------------------------------------------------------------


def backup(path: Path) -> dict:
    """Write a backup folder at `path` (which must not exist, or be an empty folder); its manifest."""
    kind = engine()
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise BackupError(f"{path} already exists and is not an empty folder: choose a new path")
    # Written beside its final place, then renamed: a backup that stops half-way is never taken
    # for a whole one.
    partial = path.with_name(path.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        if kind == "sqlite":
            counts = _backup_sqlite(partial / FILES[kind])
            extra = {}
        else:
            counts, extra = _backup_postgresql(partial / FILES[kind])
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "engine": kind,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "dailypapers": dailypapers.__version__,
            "search_index": "not included: restore rebuilds it from the database",
            **extra,
            "tables": counts,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        if path.exists():
            path.rmdir()
        partial.rename(path)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return manifest


def _backup_sqlite(target: Path) -> dict[str, int]:
    source = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
    copy = sqlite3.connect(target)
    try:
        # One step (pages=-1): one read transaction, so the copy is one consistent moment even while
        # the site writes (in WAL mode writers are not blocked meanwhile).
        source.backup(copy, pages=-1)
        listed = copy.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
        tables = [row[0] for row in listed]
        # Counted in the copy itself: exactly what the backup holds.
        return _count_tables(copy.cursor(), tables)
    finally:
        copy.close()
        source.close()


def _major(tool_version: str) -> int:
    """15 from "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"; 0 when it cannot tell."""
    match = re.search(r"\)\s*(\d+)", tool_version) or re.search(r"(\d+)", tool_version)
    return int(match.group(1)) if match else 0


def _pg_tool(name: str) -> tuple[str, int]:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} was not found on PATH: install PostgreSQL's client tools "
            f"(e.g. the postgresql-client package, the server's major version or newer)"
        )
    done = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=30)
    return found, _major(done.stdout)


def _pg_environment() -> dict[str, str]:
    """libpq's variables for Django's database: the password never appears on a command line."""
    config = connection.settings_dict
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", config.get("HOST")),
        ("PGPORT", config.get("PORT")),
        ("PGUSER", config.get("USER")),
        ("PGPASSWORD", config.get("PASSWORD")),
        ("PGDATABASE", config.get("NAME")),
        ("PGSSLMODE", (config.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            env[variable] = str(value)
    return env


def _run_tool(args: list[str], what: str) -> None:
    done = subprocess.run(args, env=_pg_environment(), capture_output=True, text=True)
    if done.returncode:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        detail = "; ".join(lines[:3]) or f"exit status {done.returncode}"
        raise BackupError(f"{what} failed: {detail}")


def _backup_postgresql(target: Path) -> tuple[dict[str, int], dict]:
    pg_dump, tool_major = _pg_tool("pg_dump")
    connection.ensure_connection()
    server_major = connection.pg_version // 10000
    if tool_major < server_major:
        raise BackupError(
            f"pg_dump {tool_major} cannot dump a PostgreSQL {server_major} server: "
            f"install the client tools of version {server_major} or newer"
        )
    tables = connection.introspection.table_names()
    with transaction.atomic(), connection.cursor() as cursor:
        # The counts and pg_dump read the same snapshot, so the manifest describes the dump exactly
        # even while the site writes.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _count_tables(cursor, tables)
        _run_tool(
            [
                pg_dump,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ],
            "pg_dump",
        )
    return counts, {"postgresql_server": server_major, "pg_dump": tool_major}


# --- restore ------------------------------------------------------------------------------------


def read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{path} is not a dailypapers backup: it has no {MANIFEST}") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path / MANIFEST} cannot be read: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a dailypapers backup (its manifest has another format)")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{path} is a backup of format version {manifest.get('version')}; "
            f"this dailypapers reads {VERSION}"
        )
    if manifest.get("engine") not in FILES or not (path / FILES[manifest["engine"]]).is_file():
        raise BackupError(f"{path} lacks its database file ({FILES.get(manifest.get('engine'), '?')})")
    return manifest


def holds_data() -> bool:
    """Whether the database has any member or any row of our apps (an empty or new database has none)."""
    existing = set(connection.introspection.table_names())
    for model in apps.get_models():
        ours = model.__module__.startswith("dailypapers.") or model._meta.label == "auth.User"
        if ours and model._meta.db_table in existing and model._default_manager.exists():
            return True
    return False


def restore(path: Path, *, force: bool) -> dict:
    """Replace the database with the backup at `path`; returns its manifest. The caller rebuilds the
    search index and brings the schema up to date."""
    manifest = read_manifest(path)
    kind = engine()
    if manifest["engine"] != kind:
        raise BackupError(
            f"{path} is a backup of a {manifest['engine']} database and this site uses {kind}: "
            f"restore it with a DATABASE_URL of the same engine"
        )
    if not force and holds_data():
        raise BackupError("the database is not empty: restore would replace it; add --force to do so")
    source = path / FILES[kind]
    if kind == "sqlite":
        _restore_sqlite(source)
    else:
        _restore_postgresql(source, manifest)
    connection.close()
    with connection.cursor() as cursor:
        counts = _count_tables(cursor, list(manifest["tables"]))
    wrong = {t: (n, counts[t]) for t, n in manifest["tables"].items() if counts[t] != n}
    if wrong:
        raise BackupError(f"the restored tables do not hold what the backup counted: {wrong}")
    return manifest


def _restore_sqlite(source: Path) -> None:
    connection.close()
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target = sqlite3.connect(connection.settings_dict["NAME"], timeout=30)
    try:
        # The backup API replaces every page of the target in one go: no half-restored database.
        backup_file.backup(target, pages=-1)
    finally:
        target.close()
        backup_file.close()


def _restore_postgresql(source: Path, manifest: dict) -> None:
    pg_restore, tool_major = _pg_tool("pg_restore")
    made_by = int(manifest.get("pg_dump") or 0)
    if tool_major < made_by:
        raise BackupError(
            f"this backup was made by pg_dump {made_by}; pg_restore {tool_major} cannot read it: "
            f"install the client tools of version {made_by} or newer"
        )
    connection.close()
    # --clean --if-exists: the backup's tables replace those there; one transaction: all or nothing.
    _run_tool(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={connection.settings_dict['NAME']}",
            str(source),
        ],
        "pg_restore",
    )
