"""Fields kept in both languages, and history (registered after translation, as in
reference/translation.py). Students have no history: see education.models."""

import simple_history
from modeltranslation.translator import TranslationOptions, register

from education.models import (
    Cohort,
    Enrolment,
    Exam,
    ExamResult,
    Placement,
    ReportedCohortFigure,
    ResultsRelease,
    SponsoredProgramme,
)


@register(SponsoredProgramme)
class SponsoredProgrammeTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Cohort)
class CohortTranslation(TranslationOptions):
    fields = ("note", "source")


@register(Exam)
class ExamTranslation(TranslationOptions):
    fields = ("name",)


@register(Placement)
class PlacementTranslation(TranslationOptions):
    # The published parts: where, what arranged it and the source. Employers and cities are not.
    fields = ("province", "event", "source")


@register(ReportedCohortFigure)
class ReportedCohortFigureTranslation(TranslationOptions):
    fields = ("source",)


@register(ResultsRelease)
class ResultsReleaseTranslation(TranslationOptions):
    # Frozen with the release, in both languages, as the reported figure gives it.
    fields = ("source",)


for model in (
    SponsoredProgramme,
    Cohort,
    Enrolment,
    Exam,
    ExamResult,
    ReportedCohortFigure,
    Placement,
):
    simple_history.register(model)
