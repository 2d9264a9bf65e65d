"""The change feed's public records of this app (changes.records). Students, enrolments and
results are restricted records and never in the feed; only what the public pages show is."""

from django.urls import reverse

from changes.records import Record
from education.models import Cohort, Exam, Placement, ReportedCohortFigure, SponsoredProgramme


def _cohort_path(cohort: Cohort) -> str:
    return reverse("api:education-cohort-detail", kwargs={"pk": cohort.pk})


RECORDS = [
    Record(
        SponsoredProgramme,
        "education_programme",
        path=lambda programme: reverse(
            "api:education-programme-detail", kwargs={"pk": programme.pk}
        ),
    ),
    Record(Cohort, "cohort", path=_cohort_path),
    Record(
        Exam,
        "exam",
        path=lambda exam: reverse("api:education-programme-list"),
    ),
    Record(
        ReportedCohortFigure,
        "reported_cohort_figure",
        path=lambda figure: _cohort_path(figure.cohort),
    ),
    Record(
        Placement,
        "placement",
        path=lambda placement: reverse("api:education-programme-list"),
    ),
]
