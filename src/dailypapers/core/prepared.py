"""Statements the site runs on every request (a page's stamps, a client's count), prepared once per
connection on PostgreSQL.

Django's cursors bind parameters on the client, so PostgreSQL parses and plans each statement afresh;
a psycopg cursor with `prepare=True` runs it from a plan the connection keeps. Used only for a few
fixed statements: they bypass Django's cursor wrappers (query logging, execute_wrappers)."""

from __future__ import annotations

from typing import Any

from django.db import connection


def fetch(sql: str, params: list[Any]) -> list[tuple]:
    """Run one statement on the default connection and return its rows (none for a statement that
    returns none); prepared on PostgreSQL, through a Django cursor elsewhere."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            # fetchall: SQLite applies a statement that returns rows only once it has run to the end.
            return cursor.fetchall() if cursor.description else []
    import psycopg  # psycopg 3, a dependency

    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall() if cursor.description else []
