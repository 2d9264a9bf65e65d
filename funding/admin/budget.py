"""Budget lines: what each project is due per year, original and revised."""

from django.contrib import admin
from django.utils.translation import pgettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from core.admin import money_column
from core.changelists import LargeListAdmin
from funding import selectors
from funding.admin.display import TotalsMixin, YearFilter
from funding.models import BudgetLine


@admin.register(BudgetLine)
class BudgetLineAdmin(TotalsMixin, LargeListAdmin, SimpleHistoryAdmin):
    list_display = ["project", "year", "kind", "amount_cny", "illustrative", "note"]
    list_filter = [YearFilter, "kind", "project__programme", "illustrative"]
    search_fields = ["project__code", "project__title_zh_hans", "project__title_en", "note"]
    autocomplete_fields = ["project"]
    list_select_related = ["project"]
    # The lines by project code, as the model orders them, written out so that pages follow a
    # cursor: the project code index, then each project's lines.
    ordering = ["project__code", "year", "kind", "id"]
    keyset = ("project__code", "year", "kind", "id")

    amount_cny = money_column("amount", pgettext_lazy("funding admin", "amount (CNY)"))

    def list_totals(self, queryset):
        sums = selectors.budget_totals(queryset)
        return [
            (pgettext_lazy("funding admin", "original"), sums["original"]),
            (pgettext_lazy("funding admin", "revised"), sums["revised"]),
        ]
