"""Fields kept in both languages, and history for the models that have them.

History is registered here, after translation, so that the history tables carry both
languages (django-simple-history's documented way with django-modeltranslation).
"""

import simple_history
from modeltranslation.translator import TranslationOptions, register

from reference.models import (
    ExchangeVisit,
    Organisation,
    Place,
    PlanPeriod,
    Programme,
    ReportedFigure,
)


@register(Organisation)
class OrganisationTranslation(TranslationOptions):
    fields = ("name", "short_name")


@register(Place)
class PlaceTranslation(TranslationOptions):
    fields = ("name",)


@register(Programme)
class ProgrammeTranslation(TranslationOptions):
    fields = ("name", "description")


@register(PlanPeriod)
class PlanPeriodTranslation(TranslationOptions):
    fields = ("name",)


@register(ExchangeVisit)
class ExchangeVisitTranslation(TranslationOptions):
    fields = ("title",)


@register(ReportedFigure)
class ReportedFigureTranslation(TranslationOptions):
    # The source is cited in the page's language: an English reader gets the title in English.
    fields = ("label", "unit", "source")


for model in (Organisation, Place, Programme, PlanPeriod, ExchangeVisit, ReportedFigure):
    simple_history.register(model)
