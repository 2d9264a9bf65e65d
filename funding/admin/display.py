"""A row of totals above a funding admin list (money itself is shown by `core.admin.money`).

Short labels carry the context "funding admin": "arrived" alone already means an aid team's
arrival elsewhere in the catalogue."""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.changelists import EstimatedCountPaginator
from funding import selectors
from funding.models import FundingRollupYear
from reference.models import Programme

if TYPE_CHECKING:
    _Admin = admin.ModelAdmin[Any]
else:
    _Admin = object  # the admin classes that use the mixin bring ModelAdmin


class TotalsMixin(_Admin):
    """A row of totals over the change list's filtered rows, above the list.

    Summing rows costs as much as there are rows: above the paginator's exact count (ten
    thousand rows, `core.changelists.EstimatedCountPaginator`) the row shows the running totals
    the ledger keeps where they answer the same question (`kept_totals`), and otherwise asks for
    a narrower list."""

    def list_totals(self, queryset) -> list[tuple[str, Decimal]]:
        raise NotImplementedError

    def kept_totals(self, changelist) -> list[tuple[str, Decimal]] | None:
        """The totals of a list too long to sum, from running totals; None where none apply."""
        return None

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            changelist = context["cl"]
            if changelist.result_count <= EstimatedCountPaginator.exact_up_to:
                context["list_totals"] = self.list_totals(changelist.queryset)
            else:
                context["list_totals"] = self.kept_totals(changelist)
                context["list_totals_withheld"] = context["list_totals"] is None
        return response


def kept_scope(changelist) -> selectors.Scope | None:
    """The projects whose running totals answer for a change list narrowed only by programme
    (`project__programme`), or not at all; None when it is searched or filtered otherwise."""
    params = changelist.get_filters_params()
    if changelist.query or set(params) - {"project__programme__id__exact"}:
        return None
    programme = None
    if params:
        values = params["project__programme__id__exact"]
        programme = Programme.objects.filter(
            pk=values[-1] if isinstance(values, list) else values
        ).first()
        if programme is None:
            return None
    return selectors.projects_in_scope(public=False, programme=programme)


class YearFilter(admin.SimpleListFilter):
    """The years of the programme rollups (every year with a budget line or a counted entry),
    a few dozen rows, instead of `SELECT DISTINCT year` over every row of the list."""

    title = _("year")
    parameter_name = "year__exact"

    def lookups(self, request, model_admin):
        years = FundingRollupYear.objects.order_by("year").values_list("year", flat=True)
        return [(year, year) for year in years.distinct()]

    def queryset(self, request, queryset):
        return queryset.filter(year=self.value()) if self.value() else queryset
