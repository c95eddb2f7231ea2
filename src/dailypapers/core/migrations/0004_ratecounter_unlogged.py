"""On PostgreSQL the limits' counters live in an UNLOGGED table: a count then commits without waiting
for the write-ahead log to reach the disk (every API read is counted), and a server crash empties the
table, which only gives every client a fresh window."""

from django.db import migrations


def unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("core", "RateCounter")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET UNLOGGED")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("core", "RateCounter")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("core", "0003_contentversion")]

    operations = [migrations.RunPython(unlogged, logged)]
