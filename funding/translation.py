"""Fields kept in both languages: a donation's purpose is shown on the public funding page."""

from modeltranslation.translator import TranslationOptions, register

from funding.models import Donation


@register(Donation)
class DonationTranslation(TranslationOptions):
    fields = ("purpose",)
