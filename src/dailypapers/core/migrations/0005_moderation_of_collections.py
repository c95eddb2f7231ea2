from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0004_ratecounter_unlogged")]

    operations = [
        migrations.AlterField(
            model_name="moderationaction",
            name="kind",
            field=models.CharField(
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
                    ("hide_collection", "hid a collection"),
                    ("show_collection", "showed a collection again"),
                ],
                max_length=30,
            ),
        ),
    ]
