"""Fields kept in both languages: a donation's purpose and a donor named without an organisation
record are shown on the public funding page."""

import simple_history
from modeltranslation.translator import TranslationOptions, register

from funding.models import BudgetLine, Donation


@register(Donation)
class DonationTranslation(TranslationOptions):
    fields = ("purpose", "donor_name")


# Donations and budget lines (what is due each year) feed the public figures: their histories say
# when those changed (数据截至) and move the pages' cache version.
for model in (Donation, BudgetLine):
    simple_history.register(model)
