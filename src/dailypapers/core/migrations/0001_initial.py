# The audit trail moved here from `community`; its table stays where it was (state only).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("community", "0002_moderation_and_removed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ModerationAction",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("moderator_name", models.CharField(max_length=150)),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("hide_paper", "hid a paper"),
                                    ("show_paper", "showed a paper again"),
                                    ("hide_listing", "took a paper off a feed day"),
                                    ("show_listing", "put a paper back on a feed day"),
                                    ("hide_comment", "hid a comment"),
                                    ("show_comment", "showed a comment again"),
                                    ("delete_comment", "deleted a comment"),
                                    ("deactivate_user", "deactivated a user"),
                                    ("reactivate_user", "reactivated a user"),
                                ],
                                max_length=30,
                            ),
                        ),
                        ("target_type", models.CharField(max_length=30)),
                        ("target_id", models.BigIntegerField()),
                        ("target_repr", models.CharField(max_length=300)),
                        ("reason", models.TextField(blank=True)),
                        (
                            "created_at",
                            models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                        ),
                        (
                            "moderator",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="moderation_actions",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "community_moderationaction",
                        "ordering": ["-created_at", "-id"],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("moderator_name", ""), _negated=True),
                                name="moderation_names_moderator",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
