"""Sessions and the signed-in member, each read in one plain SQL statement (accounts.sessions,
accounts.backends): the same answers as Django's own database store and ModelBackend."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.backends import db as django_db
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dailypapers.accounts import backends, sessions
from tests.support.factories import add_user

pytestmark = pytest.mark.django_db

migration = __import__(
    "dailypapers.accounts.migrations.0002_sessions_name_the_member_backend", fromlist=["forwards"]
)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def whoami(client: Client) -> str:
    return client.get("/account", follow=True).context["request"].user.get_username() or "(anonymous)"


def test_the_site_uses_them():
    assert settings.SESSION_ENGINE == "dailypapers.accounts.sessions"
    assert settings.AUTHENTICATION_BACKENDS == [backends.PATH]


def test_a_signed_in_member_costs_two_plain_statements():
    client = signed_in(add_user("ada"))
    client.get("/account")
    with CaptureQueriesContext(connection) as queries:
        assert whoami(client) == "ada"
    statements = [q["sql"] for q in queries.captured_queries]
    assert any(s.startswith("SELECT session_data FROM django_session") for s in statements), statements
    assert any(s.startswith("SELECT id, password") and "FROM auth_user WHERE id" in s for s in statements)


def test_a_session_django_wrote_is_read_and_one_we_write_django_reads():
    theirs = django_db.SessionStore()
    theirs["colour"] = "teal"
    theirs.save()
    assert sessions.SessionStore(theirs.session_key)["colour"] == "teal"
    ours = sessions.SessionStore()
    ours["colour"] = "plum"
    ours.save()
    assert django_db.SessionStore(ours.session_key)["colour"] == "plum"


def test_a_missing_or_expired_session_is_empty_and_gets_a_new_key_when_saved():
    store = sessions.SessionStore()
    store["x"] = 1
    store.save()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - dt.timedelta(1))
    for key in (store.session_key, "nosuchsessionkeyatall0123456789a"):
        again = sessions.SessionStore(key)
        assert dict(again.items()) == {}
        again["y"] = 2
        again.save()
        assert again.session_key != key


def test_who_may_not_be_signed_in_is_not():
    ada = add_user("ada")
    client = signed_in(ada)
    assert whoami(client) == "ada"
    ada.is_active = False
    ada.save()
    assert whoami(client) == "(anonymous)"

    bob = add_user("bob")
    client = signed_in(bob)
    bob.set_password("another long passphrase")  # the session's hash no longer matches: signed out
    bob.save()
    assert whoami(client) == "(anonymous)"

    cy = add_user("cy")
    client = signed_in(cy)
    cy.delete()
    assert whoami(client) == "(anonymous)"


def test_sessions_from_before_the_upgrade_stay_signed_in():
    ada = add_user("ada")
    client = signed_in(ada)
    key = client.session.session_key
    row = Session.objects.get(session_key=key)
    data = row.get_decoded()
    data["_auth_user_backend"] = migration.OLD
    Session.objects.filter(pk=key).update(session_data=sessions.SessionStore().encode(data))
    assert whoami(client) == "(anonymous)"  # ModelBackend is no longer one of the site's backends

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.forwards(apps, editor)
    assert Session.objects.get(pk=key).get_decoded()["_auth_user_backend"] == backends.PATH
    assert whoami(client) == "ada"
    migration.backwards(apps, editor)
    assert Session.objects.get(pk=key).get_decoded()["_auth_user_backend"] == migration.OLD


def test_the_member_read_equals_the_orms_and_saving_it_moves_no_date():
    """On SQLite a plain cursor gives naive datetimes: the member read so had a naive `last_login`
    and `date_joined`, and saving it (a password or e-mail change) stored them as the site's local
    time, five hours off in New York. Each column now goes through the ORM's converters."""
    ada = add_user("ada")
    client = signed_in(ada)
    request_user = client.get("/account/").wsgi_request.user
    orm = type(ada).objects.get(pk=ada.pk)
    for field in type(ada)._meta.concrete_fields:
        assert getattr(request_user, field.attname) == getattr(orm, field.attname), field.name
        assert type(getattr(request_user, field.attname)) is type(getattr(orm, field.attname)), field.name
    assert timezone.is_aware(request_user.last_login) and timezone.is_aware(request_user.date_joined)

    new = "yet another passphrase"
    old = "correct horse battery"  # add_user's
    response = client.post(
        "/account/password", {"old_password": old, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    after = type(ada).objects.get(pk=ada.pk)
    assert (after.last_login, after.date_joined) == (orm.last_login, orm.date_joined)
