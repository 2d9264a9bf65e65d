"""Fields kept in both languages: a donation's purpose and a donor named without an organisation
record are shown on the public funding page."""

from modeltranslation.translator import TranslationOptions, register

from funding.models import Donation


@register(Donation)
class DonationTranslation(TranslationOptions):
    fields = ("purpose", "donor_name")
