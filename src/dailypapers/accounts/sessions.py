"""The session engine: Django's database sessions, each read in one plain SQL statement.

Every request of a signed-in member reads their session. Through the ORM that read cost about
0.6 ms of CPU to build the query, several times the query itself (bench/load.py's signed-in run);
the row, the expiry check and what a missing or expired session does are Django's own."""

from __future__ import annotations

import functools

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.utils import timezone


@functools.cache
def _select() -> str:
    meta = Session._meta
    column = {name: meta.get_field(name).column for name in ("session_key", "session_data", "expire_date")}
    return (
        f"SELECT {column['session_data']} FROM {meta.db_table} "
        f"WHERE {column['session_key']} = %s AND {column['expire_date']} > %s"
    )


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        alias = router.db_for_read(Session)
        connection = connections[alias]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_select(), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's store: a new session key is made if one is saved
            return None
        return Session(session_key=self.session_key, session_data=row[0])
