"""Transitions, verifications and frozen leaderboards cannot be emptied with TRUNCATE, by any
role."""

from django.db import migrations

from core.guards import truncate_guard


class Migration(migrations.Migration):
    dependencies = [("medical", "0001_initial")]

    operations = [
        truncate_guard(
            "medical_transition",
            "medical_verification",
            "medical_leaderboardsnapshot",
            "medical_leaderboardrow",
        )
    ]
