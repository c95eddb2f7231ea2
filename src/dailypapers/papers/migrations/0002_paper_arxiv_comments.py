# Paper.comments (arXiv's comment text) becomes Paper.arxiv_comments, so that `paper.comments` can
# be the members' comments (community.Comment, see community 0004).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="paper", old_name="comments", new_name="arxiv_comments"),
    ]
