"""Who approved an entry, and who made a partner's note public: written by the entries' list
actions, read-only here. Closed years: added by a finance approver, never changed."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from core.admin import ReadOnlyAdmin
from funding import services
from funding.models import Approval, ClosedPeriod, NotePublication


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


class ClosedPeriodForm(forms.ModelForm):
    class Meta:
        model = ClosedPeriod
        fields = ["programme", "year"]


@admin.register(ClosedPeriod)
class ClosedPeriodAdmin(admin.ModelAdmin):
    """A programme's closed years; closing one goes through `funding.services.close_period`."""

    form = ClosedPeriodForm
    list_display = ["programme", "year", "closed_by", "closed_at"]
    list_filter = ["programme"]
    list_select_related = ["programme", "closed_by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["programme", "year", "closed_by", "closed_at"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        try:
            closed = services.close_period(
                programme=form.cleaned_data["programme"],
                year=form.cleaned_data["year"],
                closed_by=request.user,
            )
        except ValidationError as error:
            raise ClosingRefused(error) from error
        obj.pk = closed.pk

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except ClosingRefused as refused:
            self.message_user(request, " ".join(refused.error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ClosingRefused(Exception):
    """The service refused to close the year; nothing was written."""

    def __init__(self, error: ValidationError):
        super().__init__(str(error))
        self.error = error
