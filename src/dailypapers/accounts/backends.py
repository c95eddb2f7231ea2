"""The one authentication backend: Django's ModelBackend, with the signed-in member read in one plain
SQL statement on each request (the ORM's query building cost about 0.5 ms of CPU there, several
times the query; bench/load.py's signed-in run). Password checks, permissions and who may sign in
(`is_active`) are ModelBackend's own."""

from __future__ import annotations

import functools
import weakref
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Col

PATH = "dailypapers.accounts.backends.MemberBackend"  # as sessions and settings name it


@functools.cache
def _columns() -> tuple[list[str], str, list[tuple[int, Col]]]:
    meta = get_user_model()._meta
    fields = meta.concrete_fields
    columns = ", ".join(field.column for field in fields)
    select = f"SELECT {columns} FROM {meta.db_table} WHERE {meta.pk.column} = %s"
    cols = [(index, field.get_col(meta.db_table)) for index, field in enumerate(fields)]
    return [field.attname for field in fields], select, cols


# Per connection (each thread has its own): the columns that have converters, and those converters.
_converters: weakref.WeakKeyDictionary[BaseDatabaseWrapper, list] = weakref.WeakKeyDictionary()


def _converted(row: tuple, cols: list[tuple[int, Col]], connection: BaseDatabaseWrapper) -> list:
    """The row as the ORM would have read it: each column through the backend's and the field's
    converters (on SQLite a plain cursor gives naive datetimes, which a save would then shift by the
    site's time zone)."""
    found = _converters.get(connection)
    if found is None:
        found = _converters[connection] = [
            (index, col, converters)
            for index, col in cols
            if (
                converters := connection.ops.get_db_converters(col)
                + col.output_field.get_db_converters(connection)
            )
        ]
    values = list(row)
    for index, col, converters in found:
        for convert in converters:
            values[index] = convert(values[index], col, connection)
    return values


class MemberBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        user_model = get_user_model()
        try:
            pk = user_model._meta.pk.to_python(user_id)
        except Exception:
            return None
        names, select, cols = _columns()
        alias = router.db_for_read(user_model)
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(select, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        user = user_model.from_db(alias, names, _converted(row, cols, connection))
        return user if self.user_can_authenticate(user) else None
