"""Fields kept in both languages."""

from modeltranslation.translator import TranslationOptions, register

from medical.models import Bulletin, CallItem, CallList, FreeClinic, HospitalFirst, Need


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
