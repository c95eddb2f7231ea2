"""Keep what a paper's source says: each authorship's own spelling and details, the imported site's
extra fields, and each listing's own figures and moment (issue 14)."""

from django.db import migrations, models


def copy_names(apps, schema_editor):
    # Until now a paper showed its authors' shared spelling: that is the best we have for old rows.
    Authorship = apps.get_model("papers", "Authorship")
    Author = apps.get_model("papers", "Author")
    names = dict(Author.objects.values_list("id", "name"))
    batch = []
    for row in Authorship.objects.only("id", "author_id").iterator(chunk_size=2000):
        row.name = names.get(row.author_id, "")
        batch.append(row)
        if len(batch) >= 2000:
            Authorship.objects.bulk_update(batch, ["name"])
            batch = []
    Authorship.objects.bulk_update(batch, ["name"])


class Migration(migrations.Migration):
    dependencies = [("papers", "0002_paper_arxiv_comments")]

    operations = [
        migrations.AddField(
            model_name="authorship",
            name="name",
            field=models.CharField(default="", max_length=300),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="authorship", name="details", field=models.JSONField(blank=True, default=dict)
        ),
        migrations.RunPython(copy_names, migrations.RunPython.noop, elidable=True),
        migrations.AddField(
            model_name="paper", name="source_details", field=models.JSONField(blank=True, default=dict)
        ),
        migrations.AddField(
            model_name="listing", name="listed_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(model_name="listing", name="title", field=models.TextField(blank=True)),
        migrations.AddField(
            model_name="listing",
            name="imported_upvotes",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="listing",
            name="imported_comments",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="listing", name="source_details", field=models.JSONField(blank=True, default=dict)
        ),
    ]
