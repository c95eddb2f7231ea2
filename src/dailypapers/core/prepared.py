"""Statements the site runs on every request (a page's stamps, a client's count), prepared once per
connection on PostgreSQL and run through libpq directly.

A cached page costs one such statement, so its cost is much of the page's: through Django's cursor
(parameters bound on the client, parsed and planned by PostgreSQL each time) about 150 µs of CPU,
through a psycopg cursor with `prepare=True` about 90 µs, and through psycopg's libpq wrapper
(`psycopg.pq`, a documented layer of psycopg) about 35 µs. The last is used where the connection is
in autocommit mode (a request outside any transaction), the psycopg cursor inside a transaction, and
a Django cursor on SQLite. These few fixed statements bypass Django's cursor wrappers (query logging,
execute_wrappers).

Rows come back as text (str, None for NULL) on PostgreSQL's fast path and as Python values
elsewhere: callers convert (`int(count)`), which works for both.
"""

from __future__ import annotations

import itertools
import re
import weakref
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

# One name per statement text, the same in every connection; each connection prepares it once.
_names: dict[str, tuple[bytes, bytes]] = {}
_counter = itertools.count()
_prepared: weakref.WeakKeyDictionary[Any, set[bytes]] = weakref.WeakKeyDictionary()


def fetch(sql: str, params: list[Any], db: BaseDatabaseWrapper | None = None) -> list[tuple]:
    """Run one statement (`%s` placeholders) on `db` (the default connection) and return its rows,
    none for a statement that returns none."""
    db = db or connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            cursor.execute(sql, params)
            # fetchall: SQLite applies a statement that returns rows only once it has run to the end.
            return cursor.fetchall() if cursor.description else []
    import psycopg  # psycopg 3, a dependency

    db.ensure_connection()
    db.validate_thread_sharing()
    with db.wrap_database_errors:
        conn = db.connection
        if db.get_autocommit() and conn.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            return _run(conn, sql, params)
        # In a transaction psycopg must see the statement, so that it begins the transaction first.
        with psycopg.Cursor(conn) as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchall() if cursor.description else []


def _statement(sql: str) -> tuple[bytes, bytes]:
    found = _names.get(sql)
    if found is None:
        if "%" in sql.replace("%s", ""):
            raise ValueError("only %s placeholders, and no other %, in a prepared statement")
        numbers = itertools.count(1)
        text = re.sub(r"%s", lambda _: f"${next(numbers)}", sql)
        found = _names.setdefault(sql, (f"dailypapers_{next(_counter)}".encode(), text.encode()))
    return found


def _run(conn: Any, sql: str, params: list[Any]) -> list[tuple]:
    from psycopg import errors, pq

    name, text = _statement(sql)
    values = [None if p is None else p if isinstance(p, bytes) else str(p).encode() for p in params]
    with conn.lock:  # what psycopg's own cursors hold while they use the connection
        pgconn = conn.pgconn
        done = _prepared.setdefault(conn, set())
        if name not in done:
            result = pgconn.prepare(name, text)
            if result.status != pq.ExecStatus.COMMAND_OK:
                raise errors.error_from_result(result)
            done.add(name)
        result = pgconn.exec_prepared(name, values)
    if result.status == pq.ExecStatus.TUPLES_OK:
        return [
            tuple(
                None if v is None else v.decode()
                for v in (result.get_value(row, col) for col in range(result.nfields))
            )
            for row in range(result.ntuples)
        ]
    if result.status == pq.ExecStatus.COMMAND_OK:
        return []
    raise errors.error_from_result(result)
