from education.api.views import CohortViewSet, ProgrammeViewSet, ResultViewSet, StudentViewSet

routes = [
    ("education/programmes", ProgrammeViewSet, "education-programme"),
    ("education/cohorts", CohortViewSet, "education-cohort"),
    ("education/students", StudentViewSet, "education-student"),
    ("education/results", ResultViewSet, "education-result"),
]
