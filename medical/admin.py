"""The health commission's desk: needs, lists, items, claims, verification, bulletins and outreach.

Configuration only: every change of status is an action or a form that calls
`medical.services`; a step the status does not allow is refused with an error message.
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.exceptions import Conflict
from medical import services
from medical.models import (
    Bulletin,
    CallItem,
    CallList,
    CharityBatch,
    Claim,
    FreeClinic,
    HospitalFirst,
    LeaderboardRow,
    LeaderboardSnapshot,
    Need,
    ProgressReport,
    Transition,
    Verification,
)
from reference.admin import HistoryTranslationAdmin


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


if TYPE_CHECKING:
    _Admin = admin.ModelAdmin[Any]
else:
    _Admin = object  # the admin classes that use the mixin bring ModelAdmin


class StepsMixin(_Admin):
    """Run one service step per selected record and say, per record, what happened."""

    def run_step(self, request, queryset, step, done: str):
        for record in queryset:
            try:
                step(record)
            except (Conflict, ValidationError) as error:
                self.message_user(
                    request,
                    gettext("%(record)s: refused. %(reason)s")
                    % {"record": record, "reason": _reason(error)},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    gettext("%(record)s: %(done)s") % {"record": record, "done": done},
                    messages.SUCCESS,
                )


@admin.register(Need)
class NeedAdmin(StepsMixin, TabbedTranslationAdmin):
    list_display = ["code", "description", "category", "requested_by", "collected_on", "status"]
    list_filter = ["status", "category", "programme"]
    search_fields = ["code", "description_zh_hans", "description_en"]
    autocomplete_fields = ["requested_by", "collected_by"]
    readonly_fields = ["status"]
    actions = ["accept_selected", "reject_selected"]

    @admin.action(description=_("Accept the selected needs"), permissions=["change"])
    def accept_selected(self, request, queryset):
        self.run_step(
            request,
            queryset,
            lambda need: services.accept_need(need=need, user=request.user),
            gettext("accepted."),
        )

    @admin.action(description=_("Reject the selected needs"), permissions=["change"])
    def reject_selected(self, request, queryset):
        self.run_step(
            request,
            queryset,
            lambda need: services.reject_need(need=need, user=request.user),
            gettext("rejected."),
        )


class ItemInline(ReadOnlyInline):
    model = CallItem
    fields = ["number", "title", "category", "max_claimants", "active_claims", "status"]
    readonly_fields = fields  # type: ignore[assignment]  # the same names, all read-only
    show_change_link = True


@admin.register(CallList)
class CallListAdmin(StepsMixin, HistoryTranslationAdmin):
    list_display = ["batch", "title", "issuer", "status", "published_on", "claim_deadline"]
    list_filter = ["status", "programme"]
    readonly_fields = ["status", "published_on", "closed_on", "add_item"]
    autocomplete_fields = ["issuer"]
    inlines = [ItemInline]
    actions = ["publish_selected", "close_selected"]

    @admin.display(description=_("items"))
    def add_item(self, obj):
        # Items are made one at a time from accepted needs, on the item form, for a draft list.
        if obj is None or obj.pk is None or obj.status != CallList.Status.DRAFT:
            return "—"
        return format_html(
            '<a class="addlink" href="{}?call_list={}">{}</a>',
            reverse("admin:medical_callitem_add"),
            obj.pk,
            gettext("Add an item to this list"),
        )

    @admin.action(description=_("Publish the selected lists"), permissions=["change"])
    def publish_selected(self, request, queryset):
        self.run_step(
            request,
            queryset,
            lambda call_list: services.publish_list(call_list=call_list, user=request.user),
            gettext("published."),
        )

    @admin.action(
        description=_("Close the selected lists and freeze their rankings"),
        permissions=["change"],
    )
    def close_selected(self, request, queryset):
        self.run_step(
            request,
            queryset,
            lambda call_list: services.close_list(call_list=call_list, user=request.user),
            gettext("closed; its ranking is frozen."),
        )


class CallItemForm(forms.ModelForm):
    class Meta:
        model = CallItem
        fields = [
            "call_list",
            "number",
            "title",
            "description",
            "category",
            "deliverables",
            "budget",
            "due_on",
            "max_claimants",
            "needs",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "needs" in self.fields:
            # An item is made from accepted needs; the ones it was made from stay shown.
            pool = Need.objects.filter(status=Need.Status.ACCEPTED)
            if self.instance.pk:
                pool = pool | Need.objects.filter(items=self.instance)
            self.fields["needs"].queryset = pool.distinct()  # type: ignore[attr-defined]  # a model choice field
        if "call_list" in self.fields and not self.instance.pk:
            self.fields["call_list"].queryset = CallList.objects.filter(status="draft")  # type: ignore[attr-defined]  # a model choice field

    def clean_max_claimants(self):
        value = self.cleaned_data["max_claimants"]
        if self.instance.pk and value < self.instance.active_claims:
            raise ValidationError(
                _("%(count)d claims already hold a place on this item.")
                % {"count": self.instance.active_claims}
            )
        return value


@admin.register(CallItem)
class CallItemAdmin(StepsMixin, HistoryTranslationAdmin):
    form = CallItemForm
    list_display = ["__str__", "category", "max_claimants", "active_claims", "status"]
    list_select_related = ["call_list"]  # each row names its list's batch
    list_filter = ["status", "category", "call_list"]
    search_fields = ["title_zh_hans", "title_en"]
    readonly_fields = ["status", "active_claims"]
    filter_horizontal = ["needs"]
    actions = ["cancel_selected", "close_selected"]

    def get_readonly_fields(self, request, obj=None):
        # Needs become listed when the item is made; which ones is fixed from then on.
        return [*self.readonly_fields, "call_list", "needs"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = {
            name: value
            for name, value in form.cleaned_data.items()
            if name not in ("call_list", "needs")
        }
        item = services.add_item(
            call_list=form.cleaned_data["call_list"],
            needs=form.cleaned_data["needs"],
            user=request.user,
            **data,
        )
        obj.pk = item.pk

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except (Conflict, ValidationError) as error:
            # Refused between the form's check and the service's lock: nothing was written.
            self.message_user(request, _reason(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=_("Cancel the selected items"), permissions=["change"])
    def cancel_selected(self, request, queryset):
        self.run_step(
            request,
            queryset,
            lambda item: services.cancel_item(item=item, user=request.user),
            gettext("cancelled."),
        )

    @admin.action(description=_("Close the selected verified items"), permissions=["change"])
    def close_selected(self, request, queryset):
        self.run_step(
            request,
            queryset,
            lambda item: services.close_item(item=item, user=request.user),
            gettext("closed."),
        )


class ReportInline(ReadOnlyInline):
    model = ProgressReport
    fields = ["date", "text", "attachments", "created_at"]
    readonly_fields = fields  # type: ignore[assignment]  # the same names, all read-only


class VerificationInline(ReadOnlyInline):
    model = Verification
    fields = ["outcome", "score", "note", "verified_at", "verified_by"]
    readonly_fields = fields  # type: ignore[assignment]  # the same names, all read-only


@admin.register(Claim)
class ClaimAdmin(StepsMixin, admin.ModelAdmin):
    """Claims are made by the claiming institutions; staff follow them and act on deliveries
    through Verifications."""

    list_display = ["item", "organisation", "status", "claimed_on", "delivered_on"]
    list_filter = ["status", "item__call_list", "organisation"]
    list_select_related = ["item", "item__call_list", "organisation"]
    search_fields = ["organisation__code", "organisation__name", "item__title_zh_hans"]
    inlines = [ReportInline, VerificationInline]
    actions = ["withdraw_selected"]
    # Deliveries waiting for verification first: they are the commission's work.
    ordering = [
        Case(
            When(status=Claim.Status.DELIVERED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ).asc(),
        "item",
        "claimed_on",
        "id",
    ]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Claim._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Withdraw the selected claims"), permissions=["view"])
    def withdraw_selected(self, request, queryset):
        if not request.user.has_perm("medical.add_verification"):
            self.message_user(request, gettext("Your role does not allow this."), messages.ERROR)
            return
        self.run_step(
            request,
            queryset,
            lambda claim: services.withdraw_claim(claim=claim, user=request.user),
            gettext("withdrawn."),
        )


class VerificationForm(forms.ModelForm):
    class Meta:
        model = Verification
        fields = ["claim", "outcome", "score", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A recorded verification is read-only: its change page builds the form without fields.
        if "claim" in self.fields:
            self.fields["claim"].queryset = Claim.objects.filter(  # type: ignore[attr-defined]  # a model choice field
                status=Claim.Status.DELIVERED
            ).select_related("item", "item__call_list", "organisation")

    def clean(self):
        super().clean()
        data = self.cleaned_data
        outcome, score = data.get("outcome"), data.get("score")
        if outcome == Verification.Outcome.ACCEPTED and score is None:
            self.add_error("score", _("An accepted delivery gets a score from 0 to 100."))
        if outcome == Verification.Outcome.RETURNED:
            if score is not None:
                self.add_error("score", _("A returned delivery gets no score."))
            if not (data.get("note") or "").strip():
                self.add_error("note", _("Say what is missing."))
        return data


@admin.register(Verification)
class VerificationAdmin(admin.ModelAdmin):
    """Verify (score) or return a delivered claim. Saving calls the service."""

    form = VerificationForm
    list_display = ["claim", "outcome", "score", "verified_at", "verified_by"]
    list_filter = ["outcome"]
    list_select_related = ["claim__item__call_list", "claim__organisation", "verified_by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["claim", "outcome", "score", "note", "verified_at", "verified_by"] if obj else []

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return super().get_fieldsets(request, obj)
        # The rule up front, before anyone picks an outcome.
        description = _(
            "To accept a delivery give it a score from 0 to 100 (required); to return it, give "
            "no score and say in the note what is missing."
        )
        return [(None, {"description": description, "fields": VerificationForm.Meta.fields})]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if data["outcome"] == Verification.Outcome.ACCEPTED:
            verification = services.verify_claim(
                claim=data["claim"], score=data["score"], note=data["note"], user=request.user
            )
        else:
            verification = services.return_claim(
                claim=data["claim"], note=data["note"], user=request.user
            )
        obj.pk = verification.pk

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except (Conflict, ValidationError) as error:
            # Refused between the form's check and the service's lock: nothing was written.
            self.message_user(request, _reason(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Bulletin)
class BulletinAdmin(StepsMixin, HistoryTranslationAdmin):
    list_display = ["title", "kind", "call_list", "published", "published_on"]
    list_select_related = ["call_list"]
    list_filter = ["kind", "published", "programme"]
    readonly_fields = ["published", "published_on"]
    filter_horizontal = ["organisations"]
    actions = ["publish_selected", "withdraw_selected"]

    @admin.action(description=_("Publish the selected bulletins"), permissions=["change"])
    def publish_selected(self, request, queryset):
        self.run_step(
            request,
            queryset,
            lambda bulletin: services.publish_bulletin(bulletin=bulletin),
            gettext("published."),
        )

    @admin.action(description=_("Withdraw the selected bulletins"), permissions=["change"])
    def withdraw_selected(self, request, queryset):
        self.run_step(
            request,
            queryset,
            lambda bulletin: services.withdraw_bulletin(bulletin=bulletin),
            gettext("withdrawn from the public."),
        )


@admin.register(FreeClinic)
class FreeClinicAdmin(HistoryTranslationAdmin):
    list_display = ["number", "date", "venue", "people_served", "illustrative"]
    list_filter = ["programme", "illustrative"]


@admin.register(CharityBatch)
class CharityBatchAdmin(SimpleHistoryAdmin):
    list_display = ["number", "date", "patients", "funds", "spine", "knee", "hip", "illustrative"]
    list_filter = ["programme", "illustrative"]


@admin.register(HospitalFirst)
class HospitalFirstAdmin(HistoryTranslationAdmin):
    list_display = ["date", "what", "hospital", "illustrative"]
    list_filter = ["programme"]


@admin.register(Transition)
class TransitionAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "entity",
        "object_id",
        "action",
        "from_status",
        "to_status",
        "actor_display",
    ]
    list_filter = ["entity", "action"]
    list_select_related = ["user", "api_key__organisation"]


class RowInline(ReadOnlyInline):
    model = LeaderboardRow
    fields = [
        "rank",
        "organisation",
        "claimed",
        "delivered",
        "on_time",
        "verified",
        "points",
    ]
    readonly_fields = fields  # type: ignore[assignment]  # the same names, all read-only


@admin.register(LeaderboardSnapshot)
class LeaderboardSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["call_list", "taken_at"]
    list_select_related = ["call_list"]
    inlines = [RowInline]
