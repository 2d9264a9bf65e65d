"""The change feed's public records of this app (changes.records). Students, enrolments and
results are restricted records and never in the feed; only what the public pages show is,
results included only as released: a release (append-only, without a change history) is posted
by `education.services.release_results`, which records its event."""

from django.urls import reverse

from changes.records import POSTED, Record
from education.models import (
    Cohort,
    Exam,
    Placement,
    ReportedCohortFigure,
    ResultsRelease,
    SponsoredProgramme,
)


def _cohort_path(cohort: Cohort) -> str:
    return reverse("api:education-cohort-detail", kwargs={"pk": cohort.pk})


# Where the released figures are read: the cohort's figures per exam.
RESULTS_RELEASE = Record(
    ResultsRelease,
    "results_release",
    path=lambda release: reverse("api:education-cohort-stats", kwargs={"pk": release.cohort_id}),
    types=(POSTED,),
)

RECORDS = [
    RESULTS_RELEASE,
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
