"""core.prepared: the statements run on every request. On PostgreSQL outside a transaction through
libpq, prepared once per connection; inside one through psycopg, so that they belong to it."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from dailypapers.core import prepared
from dailypapers.core.models import ContentVersion

pytestmark = pytest.mark.django_db(transaction=True)

READ = 'SELECT name, epoch, value FROM "core_contentversion" WHERE name IN (%s, %s) ORDER BY name'
WRITE = 'INSERT INTO "core_contentversion" (name, epoch, value) VALUES (%s, %s, %s)'


def names_prepared() -> set[bytes]:
    return prepared._prepared.get(connection.connection, set()) if connection.connection else set()


def test_reads_writes_and_values_come_back_the_same_way_on_every_connection():
    assert prepared.fetch(WRITE, ["a", "e1", 7]) == []
    assert prepared.fetch(WRITE, ["b", "e2", 2]) == []
    rows = prepared.fetch(READ, ["a", "b"])
    assert [(name, epoch, int(value)) for name, epoch, value in rows] == [("a", "e1", 7), ("b", "e2", 2)]
    if connection.vendor == "postgresql":
        assert len(names_prepared()) == 2  # each statement prepared once on this connection
        prepared.fetch(READ, ["a", "b"])
        assert len(names_prepared()) == 2
        connection.close()  # a new connection prepares them again
        assert [row[0] for row in prepared.fetch(READ, ["a", "b"])] == ["a", "b"]
        assert len(names_prepared()) == 1


def test_inside_a_transaction_a_write_is_the_transactions():
    with pytest.raises(RuntimeError), transaction.atomic():
        prepared.fetch(WRITE, ["inside", "e", 1])
        assert prepared.fetch(READ, ["inside", "x"])[0][0] == "inside"
        raise RuntimeError("roll back")
    assert not ContentVersion.objects.filter(name="inside").exists()  # rolled back with the rest
    prepared.fetch(WRITE, ["outside", "e", 1])
    with pytest.raises(RuntimeError), transaction.atomic():
        raise RuntimeError("roll back")
    assert ContentVersion.objects.filter(name="outside").exists()  # it committed by itself


def test_errors_are_djangos_and_leave_the_connection_usable():
    prepared.fetch(WRITE, ["twice", "e", 1])
    with pytest.raises(DatabaseError):
        prepared.fetch(WRITE, ["twice", "e", 1])  # the name is unique
    assert prepared.fetch(READ, ["twice", "x"])[0][0] == "twice"
    if connection.vendor == "postgresql":
        with pytest.raises(ValueError):  # statements are numbered ($1, $2): no other % is read right
            prepared.fetch("SELECT 1 WHERE 'a' LIKE 'a%%' AND 1 = %s", [1])
