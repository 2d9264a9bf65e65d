from django.db import migrations, models

from core.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("projects", "0004_public_record_histories")]

    operations = [
        trigram_indexes("projects_project", "code", "title_zh_hans", "title_en"),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["planned_start"], name="projects_pr_planned_start_idx"),
        ),
    ]
