"""How the funding admin shows money: grouped to two decimals, and a row of totals above a list.

Short labels carry the context "funding admin": "arrived" alone already means an aid team's
arrival elsewhere in the catalogue."""

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.utils.formats import number_format


def money(value: Decimal | None) -> str:
    return "—" if value is None else number_format(value, 2, force_grouping=True)


def money_column(name: str, description) -> Callable:
    """A list or inline column showing a money field grouped, to two decimals."""

    @admin.display(description=description, ordering=name)
    def column(self, obj):
        return money(getattr(obj, name))

    return column


if TYPE_CHECKING:
    _Admin = admin.ModelAdmin[Any]
else:
    _Admin = object  # the admin classes that use the mixin bring ModelAdmin


class TotalsMixin(_Admin):
    """A row of totals over the change list's filtered rows, above the list."""

    def list_totals(self, queryset) -> list[tuple[str, Decimal]]:
        raise NotImplementedError

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            context["list_totals"] = self.list_totals(context["cl"].queryset)
        return response
