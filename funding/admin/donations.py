"""Donations of money and goods, with their totals above the list."""

from django.contrib import admin
from django.utils.translation import pgettext_lazy

from core.admin import money_column
from funding import selectors
from funding.admin.display import TotalsMixin
from funding.models import Donation
from reference.admin import HistoryTranslationAdmin


@admin.register(Donation)
class DonationAdmin(TotalsMixin, HistoryTranslationAdmin):
    list_display = [
        "date",
        "purpose",
        "kind",
        "value_cny",
        "donor_display",
        "recipient",
        "beneficiaries",
        "project",
        "published",
        "illustrative",
    ]
    list_filter = ["kind", "beneficiaries", "programme", "published", "illustrative"]
    date_hierarchy = "date"
    search_fields = [
        "purpose_zh_hans",
        "purpose_en",
        "donor_name",
        "donor__code",
        "donor__name_zh_hans",
        "donor__name_en",
    ]
    autocomplete_fields = ["programme", "donor", "recipient", "project"]
    list_select_related = ["donor", "recipient", "project"]

    value_cny = money_column("value", pgettext_lazy("funding admin", "value (CNY)"))

    @admin.display(description=pgettext_lazy("funding admin", "donor"))
    def donor_display(self, obj):
        return obj.donor or obj.donor_name

    def list_totals(self, queryset):
        sums = selectors.donation_totals(queryset.order_by())
        return [
            (pgettext_lazy("funding admin", "total"), sums["total"]),
            (pgettext_lazy("funding admin", "money"), sums["money"]),
            (pgettext_lazy("funding admin", "goods"), sums["goods"]),
            (pgettext_lazy("funding admin", "goods for students"), sums["goods_for_students"]),
        ]
