# The audit trail moved to the `core` app; its table stays (state only).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0002_moderation_and_removed"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ModerationAction")],
            database_operations=[],
        ),
    ]
