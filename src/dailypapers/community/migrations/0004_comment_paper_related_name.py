# The members' comments on a paper are `paper.comments` (was `paper.comments_here`, while
# Paper.comments held arXiv's comment text; see papers 0002). No change in the database.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0003_moderationaction_to_core"),
        ("papers", "0002_paper_arxiv_comments"),
    ]

    operations = [
        migrations.AlterField(
            model_name="comment",
            name="paper",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="comments", to="papers.paper"
            ),
        ),
    ]
