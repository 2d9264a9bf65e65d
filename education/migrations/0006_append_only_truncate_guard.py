"""The student-record access log, the results releases and change histories cannot be emptied with TRUNCATE, by any
role."""

from django.db import migrations

from core.guards import truncate_guard


class Migration(migrations.Migration):
    dependencies = [("education", "0005_results_release_append_only")]

    operations = [
        truncate_guard(
            "education_accesslogentry",
            "education_resultsrelease",
            "education_historicalsponsoredprogramme",
            "education_historicalcohort",
            "education_historicalenrolment",
            "education_historicalexam",
            "education_historicalexamresult",
            "education_historicalreportedcohortfigure",
            "education_historicalplacement",
        )
    ]
