"""Fields kept in both languages, and the public records whose changes are kept in a history."""

import simple_history
from modeltranslation.translator import TranslationOptions, register

from medical.models import (
    Bulletin,
    CallItem,
    CallList,
    CharityBatch,
    FreeClinic,
    HospitalFirst,
    Need,
)


@register(Need)
class NeedTranslation(TranslationOptions):
    fields = ("description",)


@register(CallList)
class CallListTranslation(TranslationOptions):
    fields = ("title",)


@register(CallItem)
class CallItemTranslation(TranslationOptions):
    fields = ("title", "description", "deliverables")


@register(Bulletin)
class BulletinTranslation(TranslationOptions):
    fields = ("title", "body")


@register(FreeClinic)
class FreeClinicTranslation(TranslationOptions):
    fields = ("venue", "team")


@register(HospitalFirst)
class HospitalFirstTranslation(TranslationOptions):
    fields = ("what",)


# Lists, items, bulletins and outreach are edited as plain records: their histories say when the
# /medical/ page's data changed (数据截至) and move its cache version. Registered after translation,
# so both languages are kept.
for model in (CallList, CallItem, Bulletin, FreeClinic, CharityBatch, HospitalFirst):
    simple_history.register(model)
