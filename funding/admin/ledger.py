"""Ledger entries: posted through `funding.services`, never changed or deleted (a mistake is
reversed), approved and their partners' notes published by list actions, imported from a
spreadsheet; and the project's ledger, read-only, on its page."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.admin import ImportAdminMixin, ReadOnlyInline, money
from core.changelists import LargeListAdmin
from core.exceptions import Conflict
from core.fields import MONEY_DECIMALS, MONEY_DIGITS
from funding import imports, selectors, services
from funding.admin.display import TotalsMixin, kept_scope
from funding.models import LedgerEntry
from projects.models import Project


class EntryDisplay:
    """Columns an entry shows wherever it is listed, from `selectors.entries_with_flags`."""

    @admin.display(description=pgettext_lazy("funding admin", "amount (CNY)"), ordering="amount")
    def amount_cny(self, obj):
        amount = money(obj.amount)
        return f"−{amount}" if obj.is_reversal else amount

    @admin.display(description=pgettext_lazy("funding admin", "flags"))
    def flags(self, obj):
        flags = []
        if obj.reverses_id:
            flags.append(
                format_html(
                    '#{} {} <a href="{}">#{}</a>: {}',
                    obj.pk,
                    pgettext("funding admin", "reverses"),
                    reverse("admin:funding_ledgerentry_change", args=[obj.reverses_id]),
                    obj.reverses_id,
                    obj.reason,
                )
            )
        if obj.reversal_pk is not None:
            flags.append(
                format_html(
                    '#{} {} <a href="{}">#{}</a>',
                    obj.pk,
                    pgettext("funding admin", "reversed by"),
                    reverse("admin:funding_ledgerentry_change", args=[obj.reversal_pk]),
                    obj.reversal_pk,
                )
            )
        if obj.beyond_arrivals:
            flags.append(
                format_html(
                    "<strong>{}</strong>: {}",
                    pgettext("funding admin", "beyond arrivals"),
                    obj.reason,
                )
            )
        if obj.type == LedgerEntry.Type.INCOMING_FUNDS and obj.reason and not obj.reverses_id:
            flags.append(
                format_html(
                    "<strong>{}</strong>: {}",
                    pgettext("funding admin", "above the planned investment"),
                    obj.reason,
                )
            )
        if obj.needs_approval:
            if obj.approver is not None:
                flags.append(
                    format_html("{} {}", pgettext("funding admin", "approved by"), obj.approver)
                )
            elif obj.reversal_pk is None:
                flags.append(
                    format_html(
                        "<strong>{}</strong>", pgettext("funding admin", "awaiting approval")
                    )
                )
        if obj.note and obj.recorded_by_key_id and not obj.note_is_public:
            flags.append(
                format_html("<strong>{}</strong>", pgettext("funding admin", "note not public"))
            )
        return format_html_join("; ", "{}", ((flag,) for flag in flags)) if flags else ""


class LedgerEntryForm(forms.ModelForm):
    amount = forms.DecimalField(
        label=pgettext_lazy("funding admin", "amount (CNY)"),
        min_value=Decimal("0.01"),
        max_digits=MONEY_DIGITS,
        decimal_places=MONEY_DECIMALS,
    )
    # Shown only once the service has refused an arrival above the planned investment.
    confirm_beyond_plan = forms.BooleanField(
        label=_("Yes, this arrival goes above the planned investment"), required=False
    )
    beyond_plan_reason = forms.CharField(
        label=_("why arrivals go above the planned investment"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )
    # Set by LedgerEntryAdmin when the service refused this very form's entry.
    refusal: Exception | None = None

    class Meta:
        model = LedgerEntry
        fields = ["project", "type", "date", "amount", "provider", "receiver", "voucher", "note"]
        labels = {"reason": _("reason for going beyond arrivals")}
        help_texts = {
            "reason": _(
                "Only for a disbursement beyond the funds arrived, such as funds in transit."
            )
        }

    def clean(self):
        cleaned_data = super().clean() or self.cleaned_data
        confirmed = cleaned_data.get("confirm_beyond_plan")
        reason = (cleaned_data.get("beyond_plan_reason") or "").strip()
        if confirmed and not reason:
            self.add_error("beyond_plan_reason", _("Say why arrivals go above the plan."))
        if reason and not confirmed:
            self.add_error("confirm_beyond_plan", _("Confirm the arrival above the plan."))
        if self.refusal is not None:
            for field, errors in form_errors(self.refusal, self.fields):
                self.add_error(field, errors)
        return cleaned_data


def form_errors(error: Exception, fields) -> list[tuple[str | None, list[str]]]:
    """A service's refusal as (form field or None, messages) pairs."""
    if isinstance(error, services.BeyondArrivals):
        return [("amount", [str(error)])]
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return [
            (field if field in fields else None, errors)
            for field, errors in error.message_dict.items()
        ]
    if isinstance(error, ValidationError):
        return [(None, error.messages)]
    return [(None, [str(error)])]


def chosen_project(request) -> Project | None:
    """The project the entry form is for: the one submitted, else the one the link named."""
    pk = request.POST.get("project") or request.GET.get("project")
    if not pk or not str(pk).isdigit():
        return None
    return Project.objects.filter(pk=pk).first()


class Refused(Exception):
    """The service refused an entry the form had accepted; its transaction is rolled back."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


class ReverseForm(forms.Form):
    date = forms.DateField(
        label=pgettext_lazy("funding admin", "date of the reversal"),
        initial=timezone.localdate,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day the reversal is recorded, unless another day is chosen."),
    )
    reason = forms.CharField(
        label=pgettext_lazy("funding admin", "Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Why these entries are reversed; kept with each reversal."),
    )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ImportAdminMixin, TotalsMixin, EntryDisplay, LargeListAdmin):
    form = LedgerEntryForm
    importer = imports.LedgerImporter
    import_title = _("Import ledger entries")
    import_filename = "ledger-import"
    background_imports = True
    list_display = [
        "date",
        "project",
        "type",
        "amount_cny",
        "provider",
        "receiver",
        "voucher",
        "flags",
    ]
    list_display_links = ["date", "project"]
    keyset = ("-date", "-id")
    list_filter = ["type", "project__programme", "beyond_arrivals", "needs_approval"]
    date_hierarchy = "date"
    search_fields = [
        "voucher",
        "note",
        "project__code",
        "project__title_zh_hans",
        "project__title_en",
    ]
    list_select_related = ["project", "provider", "receiver"]
    autocomplete_fields = ["project", "provider", "receiver"]
    actions = ["reverse_selected", "approve_selected", "publish_notes"]
    posted_fields = [
        "project",
        "type",
        "date",
        "amount_cny",
        "currency",
        "provider",
        "receiver",
        "voucher",
        "note",
        "flags",
        "reverses",
        "reason",
        "beyond_arrivals",
        "needs_approval",
        "illustrative",
        "actor_display",
        "recorded_at",
    ]

    def get_queryset(self, request):
        return selectors.entries_with_flags(super().get_queryset(request))

    def list_totals(self, queryset):
        sums = selectors.entry_totals(queryset)
        return [
            (pgettext_lazy("funding admin", "arrived"), sums["arrived"]),
            (pgettext_lazy("funding admin", "disbursed"), sums["disbursed"]),
            (pgettext_lazy("funding admin", "spent"), sums["spent"]),
            (pgettext_lazy("funding admin", "awaiting approval"), sums["pending"]),
        ]

    def kept_totals(self, changelist):
        scope = kept_scope(changelist)
        if scope is None:
            return None
        figures = selectors.totals(scope)
        return [
            (pgettext_lazy("funding admin", "arrived"), figures.arrived),
            (pgettext_lazy("funding admin", "disbursed"), figures.disbursed),
            (pgettext_lazy("funding admin", "spent"), figures.spent),
            (pgettext_lazy("funding admin", "awaiting approval"), figures.pending),
        ]

    # A posted entry is never changed or deleted: its page is read-only, mistakes are reversed.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return request.user.has_perm("funding.approve_disbursement")

    def has_publish_note_permission(self, request):
        return request.user.has_perm("funding.publish_entry_note")

    def get_fields(self, request, obj=None):
        if obj is not None:
            return self.posted_fields
        fields = list(LedgerEntryForm.Meta.fields)
        if request.user.has_perm("funding.record_beyond_arrivals"):
            fields.append("reason")
        refusal = getattr(request, "_ledger_refusal", None)
        if isinstance(refusal, services.BeyondPlan) or "beyond_plan_reason" in request.POST:
            fields += ["confirm_beyond_plan", "beyond_plan_reason"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return self.posted_fields if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_ledger_refusal", None)
        if refusal is not None:
            form = type(form.__name__, (form,), {"refusal": refusal})
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refused:
            # Nothing was written; the same request runs again with the refusal on the form.
            request._ledger_refusal = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        project = obj.project if obj is not None else chosen_project(request)
        if project is not None:
            figures = selectors.project_totals(project)
            context["project_figures"] = {
                "project": project,
                "rows": [
                    (_("planned investment"), money(figures.planned)),
                    (pgettext_lazy("funding admin", "arrived"), money(figures.arrived)),
                    (pgettext_lazy("funding admin", "disbursed"), money(figures.disbursed)),
                    (pgettext_lazy("funding admin", "awaiting approval"), money(figures.pending)),
                    (_("can still be disbursed"), money(figures.disbursable)),
                ],
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            entry = services.record_entry(
                project=data["project"],
                type=data["type"],
                date=data["date"],
                amount=data["amount"],
                provider=data.get("provider"),
                receiver=data.get("receiver"),
                voucher=data.get("voucher", ""),
                note=data.get("note", ""),
                beyond_arrivals_reason=data.get("reason", ""),
                beyond_plan_reason=(
                    data.get("beyond_plan_reason", "") if data.get("confirm_beyond_plan") else ""
                ),
                recorded_by=request.user,
            )
        except (Conflict, ValidationError) as error:
            raise Refused(error) from error
        obj.pk = entry.pk
        if entry.needs_approval:
            self.message_user(
                request,
                gettext(
                    "This disbursement counts once a second member of staff approves it; "
                    "until then its amount is reserved."
                )
                if entry.type == LedgerEntry.Type.DISBURSEMENT
                else gettext(
                    "This arrival counts once a second member of staff approves it; until "
                    "then it is not in the totals."
                ),
                messages.WARNING,
            )

    def save_related(self, request, form, formsets, change):
        # The service wrote the entry; an entry has no many-to-many fields or inlines to save.
        pass

    @admin.action(description=_("Reverse the selected entries"), permissions=["add"])
    def reverse_selected(self, request, queryset):
        form = ReverseForm(request.POST if "reason" in request.POST else None)
        entries = list(queryset.select_related("project"))
        if form.is_valid():
            for entry in entries:
                try:
                    reversal = services.reverse_entry(
                        entry=entry,
                        reason=form.cleaned_data["reason"],
                        recorded_by=request.user,
                        date=form.cleaned_data["date"],
                    )
                except (Conflict, ValidationError) as error:
                    self._refused(request, entry, error)
                else:
                    self.message_user(
                        request,
                        gettext("%(entry)s: reversed by entry #%(id)d.")
                        % {"entry": entry, "id": reversal.pk},
                        messages.SUCCESS,
                    )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reverse ledger entries"),
            "opts": self.opts,
            "entries": entries,
            "form": form,
            "action": "reverse_selected",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/funding/ledgerentry/reverse.html", context)

    @admin.action(
        description=_("Approve the selected arrivals and disbursements"), permissions=["approve"]
    )
    def approve_selected(self, request, queryset):
        entries = list(queryset.select_related("project"))
        if request.POST.get("confirmed") != "yes":
            return self._confirm_approval(request, entries)
        for entry in entries:
            try:
                services.approve_disbursement(entry=entry, approved_by=request.user)
            except (Conflict, ValidationError) as error:
                self._refused(request, entry, error)
            else:
                self.message_user(
                    request, gettext("%(entry)s: approved.") % {"entry": entry}, messages.SUCCESS
                )

    @admin.action(
        description=_("Publish the partners' notes of the selected entries"),
        permissions=["publish_note"],
    )
    def publish_notes(self, request, queryset):
        for entry in queryset.select_related("project"):
            try:
                services.publish_note(entry=entry, published_by=request.user)
            except (Conflict, ValidationError) as error:
                self._refused(request, entry, error)
            else:
                self.message_user(
                    request,
                    gettext("%(entry)s: its note is public.") % {"entry": entry},
                    messages.SUCCESS,
                )

    def _confirm_approval(self, request, entries):
        """The page that shows, before anything is approved, how each project's totals move."""
        rows = []
        for entry in entries:
            figures = selectors.project_totals(entry.project)
            if entry.type == LedgerEntry.Type.DISBURSEMENT:
                changes = [
                    (pgettext("funding admin", "disbursed"), figures.disbursed, entry.amount),
                    (
                        pgettext("funding admin", "awaiting approval"),
                        figures.pending,
                        -entry.amount,
                    ),
                ]
            else:
                changes = [(pgettext("funding admin", "arrived"), figures.arrived, entry.amount)]
            rows.append(
                {
                    "entry": entry,
                    "changes": [
                        (label, money(before), money(before + delta))
                        for label, before, delta in changes
                    ],
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Approve ledger entries"),
            "opts": self.opts,
            "rows": rows,
            "action": "approve_selected",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/funding/ledgerentry/approve.html", context)

    def _refused(self, request, entry, error):
        reasons = " ".join(
            message
            for _field, field_messages in form_errors(error, ())
            for message in field_messages
        )
        self.message_user(
            request,
            gettext("%(entry)s: refused. %(reason)s") % {"entry": entry, "reason": reasons},
            messages.ERROR,
        )

    def checked_message(self, report):
        count = len(report.rows)
        return ngettext(
            "The file has no problems: %(counter)s entry would be imported. Nothing was "
            "written (only checked).",
            "The file has no problems: %(counter)s entries would be imported. Nothing was "
            "written (only checked).",
            count,
        ) % {"counter": count}

    def import_summary(self, report):
        return [f"{label}: {count}, {money(amount)}" for label, count, amount in report.by_type()]

    def import_notes(self):
        return [f"{gettext('Types:')} {', '.join(imports.TYPE_NAMES)}"]

    def imported_message(self, report, filename):
        count = len(report.rows)
        parts = "; ".join(
            gettext("%(type)s: %(count)d, %(amount)s CNY")
            % {"type": label, "count": rows, "amount": money(amount)}
            for label, rows, amount in report.by_type()
        )
        return ngettext(
            "Imported %(count)d entry from %(file)s (%(parts)s).",
            "Imported %(count)d entries from %(file)s (%(parts)s).",
            count,
        ) % {"count": count, "file": filename, "parts": parts}


class LedgerEntryInline(EntryDisplay, ReadOnlyInline):
    """The project's ledger, read-only: entries are posted and reversed from the ledger list."""

    model = LedgerEntry
    fk_name = "project"
    show_change_link = True
    fields = ["date", "type", "amount_cny", "provider", "receiver", "voucher", "flags"]
    readonly_fields = fields  # type: ignore[assignment]  # the same names, all read-only
    ordering = ["-date", "-id"]

    class Media:
        css = {"all": ["funding/admin.css"]}

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("provider", "receiver")
        return selectors.entries_with_flags(queryset)
