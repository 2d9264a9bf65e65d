"""Change histories cannot be emptied with TRUNCATE, by any role."""

from django.db import migrations

from core.guards import truncate_guard


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]

    operations = [
        truncate_guard(
            "projects_historicalproject",
            "projects_historicalparticipant",
            "projects_historicalmilestone",
            "projects_historicalindicator",
            "projects_historicalprogressupdate",
            "projects_historicaltimelineevent",
        )
    ]
