"""Member data, registered in one place.

Each app that keeps data about a member registers a provider in its AppConfig.ready(): `export(user)`
gives the app's part of the member's "download all your data" (top-level keys of the JSON), and
`erase(user)` does to that data what deleting the account does (see the privacy page). The accounts
app, which owns the download and the deletion, calls `export` and `erase` here, so it imports none
of the apps beside it. Providers run in the order their apps are installed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from dailypapers.core.timestamps import iso


@dataclass(frozen=True)
class Provider:
    app: str
    export: Callable[[Any], dict[str, Any]]
    # None: the app's rows go with the account itself, through their foreign key's on_delete.
    erase: Callable[[Any], None] | None = None


_providers: dict[str, Provider] = {}


def register(
    app: str, export: Callable[[Any], dict[str, Any]], erase: Callable[[Any], None] | None = None
) -> None:
    """Register (or, when ready() runs again, replace) an app's provider; one per app label."""
    _providers[app] = Provider(app, export, erase)


def providers() -> list[Provider]:
    return list(_providers.values())


def export(user: Any) -> dict[str, Any]:
    """Every registered app's part of the member's data, merged."""
    data: dict[str, Any] = {}
    for provider in _providers.values():
        part = provider.export(user)
        if taken := data.keys() & part.keys():
            raise ImproperlyConfigured(f"{provider.app} exports keys already taken: {sorted(taken)}")
        data.update(part)
    return data


def erase(user: Any) -> None:
    """What deleting the account does to each app's data; the caller then deletes the user."""
    for provider in _providers.values():
        if provider.erase is not None:
            provider.erase(user)


# Never exported: secrets, and the workers' bookkeeping.
_PRIVATE_FIELDS = {"id", "user", "password", "claimed_by", "claimed_at"}


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return iso(value) if isinstance(value, dt.datetime) else value.isoformat()
    return value


def model_rows(queryset: QuerySet) -> list[dict[str, Any]]:
    """Every ordinary field of each row, by field name, for an export that shows a model as it is."""
    fields = [
        f
        for f in queryset.model._meta.concrete_fields
        if f.name not in _PRIVATE_FIELDS and "token" not in f.name and "secret" not in f.name
    ]
    return [{f.name: _plain(f.value_from_object(row)) for f in fields} for row in queryset]
