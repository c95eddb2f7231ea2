"""The one authentication backend: Django's ModelBackend, with the signed-in member read in one plain
SQL statement on each request (the ORM's query building cost about 0.5 ms of CPU there, several
times the query; bench/load.py's signed-in run). Password checks, permissions and who may sign in
(`is_active`) are ModelBackend's own."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router

PATH = "dailypapers.accounts.backends.MemberBackend"  # as sessions and settings name it


@functools.cache
def _columns() -> tuple[list[str], str]:
    meta = get_user_model()._meta
    fields = meta.concrete_fields
    columns = ", ".join(field.column for field in fields)
    select = f"SELECT {columns} FROM {meta.db_table} WHERE {meta.pk.column} = %s"
    return [field.attname for field in fields], select


class MemberBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        user_model = get_user_model()
        try:
            pk = user_model._meta.pk.to_python(user_id)
        except Exception:
            return None
        names, select = _columns()
        alias = router.db_for_read(user_model)
        with connections[alias].cursor() as cursor:
            cursor.execute(select, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        user = user_model.from_db(alias, names, row)
        return user if self.user_can_authenticate(user) else None
