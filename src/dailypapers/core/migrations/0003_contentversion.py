from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0002_ratecounter")]

    operations = [
        migrations.CreateModel(
            name="ContentVersion",
            fields=[
                ("name", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("epoch", models.CharField(max_length=32)),
                ("value", models.BigIntegerField(default=0)),
            ],
        ),
    ]
