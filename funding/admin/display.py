"""A row of totals above a funding admin list (money itself is shown by `core.admin.money`).

Short labels carry the context "funding admin": "arrived" alone already means an aid team's
arrival elsewhere in the catalogue."""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib import admin

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
