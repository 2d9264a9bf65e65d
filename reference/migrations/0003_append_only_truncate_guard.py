"""Change histories cannot be emptied with TRUNCATE, by any role."""

from django.db import migrations

from core.guards import truncate_guard


class Migration(migrations.Migration):
    dependencies = [("reference", "0002_reported_figure_qualifier")]

    operations = [
        truncate_guard(
            "reference_historicalaidteambatch",
            "reference_historicalteammember",
            "reference_historicalorganisation",
            "reference_historicalplace",
            "reference_historicalprogramme",
            "reference_historicalplanperiod",
            "reference_historicalexchangevisit",
            "reference_historicalreportedfigure",
        )
    ]
