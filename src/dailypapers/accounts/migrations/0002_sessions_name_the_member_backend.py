"""Sessions signed in before the site had its own backend name Django's ModelBackend, which is no
longer in AUTHENTICATION_BACKENDS: they now name dailypapers.accounts.backends.MemberBackend (the
same backend, reading the member in one plain statement), so nobody is signed out by the upgrade."""

from django.contrib.sessions.backends.db import SessionStore
from django.db import migrations

OLD = "django.contrib.auth.backends.ModelBackend"
NEW = "dailypapers.accounts.backends.MemberBackend"
KEY = "_auth_user_backend"  # django.contrib.auth.BACKEND_SESSION_KEY


def _rename(apps, schema_editor, old: str, new: str) -> None:
    Session = apps.get_model("sessions", "Session")
    coder = SessionStore()  # its signing salt names the class: "SessionStore", as ours
    for session in Session.objects.using(schema_editor.connection.alias).iterator(chunk_size=2000):
        data = coder.decode(session.session_data)
        if data.get(KEY) == old:
            data[KEY] = new
            session.session_data = coder.encode(data)
            session.save(update_fields=["session_data"])


def forwards(apps, schema_editor) -> None:
    _rename(apps, schema_editor, OLD, NEW)


def backwards(apps, schema_editor) -> None:
    _rename(apps, schema_editor, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_profile"),
        ("sessions", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
