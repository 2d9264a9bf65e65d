"""Who approved an entry, and who made a partner's note public: written by the entries' list
actions, read-only here."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from funding.models import Approval, NotePublication


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ["entry", "approved_by", "approved_at"]
    list_select_related = ["entry__project", "approved_by"]
    search_fields = ["entry__voucher", "entry__project__code"]
    date_hierarchy = "approved_at"


@admin.register(NotePublication)
class NotePublicationAdmin(ReadOnlyAdmin):
    """Who made which partner's note public; publishing is the entries' list action."""

    list_display = ["entry", "published_by", "published_at"]
    list_select_related = ["entry__project", "published_by"]
    search_fields = ["entry__voucher", "entry__project__code", "entry__note"]
    date_hierarchy = "published_at"
