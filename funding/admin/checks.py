"""The runs of `check_ledger`, written by the command, read-only here: a failed run is where the
finance staff's desk sends them."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from funding.models import LedgerCheck


@admin.register(LedgerCheck)
class LedgerCheckAdmin(ReadOnlyAdmin):
    list_display = ["ran_at", "passed", "difference_count", "rebuilt_rollups"]
    list_filter = ["passed"]
    fields = ["ran_at", "passed", "difference_count", "rebuilt_rollups", "differences"]
    readonly_fields = fields  # type: ignore[assignment]  # the same names, all read-only
    date_hierarchy = "ran_at"
