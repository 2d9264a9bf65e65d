"""The audit trail cannot be emptied with TRUNCATE, by any role."""

from django.db import migrations

from core.guards import truncate_guard


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [
        truncate_guard(
            "api_auditentry",
        )
    ]
