"""The education staff's role, and what auditors (core.roles) may read of education records."""

MODELS = ["sponsoredprogramme", "cohort", "exam", "reportedcohortfigure", "placement"]

ROLES = {
    # Keeps the sponsored classes' cohorts, students and results. Students are anonymised, never
    # deleted, so there is no delete on students, enrolments or results.
    "Education staff": {
        "education": {
            **{model: ("view", "add", "change", "delete") for model in MODELS},
            "student": ("view", "add", "change"),
            "enrolment": ("view", "add", "change"),
            "examresult": ("view", "add", "change"),
            "accesslogentry": ("view",),
            # Publishes a cohort's figures; a release is never changed or deleted.
            "resultsrelease": ("view", "add"),
        },
        "reference": {"organisation": ("view",), "place": ("view",), "programme": ("view",)},
    },
    # Auditors read the cohort-level records and who read student records, not the students.
    "Auditor": {
        "education": {model: ("view",) for model in [*MODELS, "accesslogentry", "resultsrelease"]}
    },
}
