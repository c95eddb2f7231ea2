# The per-client limits' counters (dailypapers.core.limits).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="RateCounter",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=150, unique=True)),
                ("count", models.PositiveIntegerField()),
                ("expires_at", models.FloatField(db_index=True)),
            ],
        ),
    ]
