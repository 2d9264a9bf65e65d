"""The ledger in the admin: every write goes through `funding.services`, posted entries are
read-only, and list pages show the totals of what they list."""

from collections.abc import Callable
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Case, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from funding import imports, selectors, services
from funding.models import (
    Approval,
    BudgetLine,
    Donation,
    FundingRollup,
    FundingRollupYear,
    LedgerEntry,
    NotePublication,
    ProjectFunding,
    ProjectFundingYear,
)
from projects.admin import ProjectAdmin
from projects.models import Project
from reference.admin import HistoryTranslationAdmin
from reference.exceptions import Conflict

# Short labels carry the context "funding admin": "arrived" alone already means an aid team's
# arrival elsewhere in the catalogue.
ZERO = Value(Decimal("0"))
MONEY_FIELD = models.DecimalField(max_digits=14, decimal_places=2)
IMPORT_MAX_BYTES = 10 * 1024 * 1024


def money(value: Decimal | None) -> str:
    return "—" if value is None else number_format(value, 2, force_grouping=True)


def money_column(name: str, description) -> Callable:
    """A list or inline column showing a money field grouped, to two decimals."""

    @admin.display(description=description, ordering=name)
    def column(self, obj):
        return money(getattr(obj, name))

    return column


def entry_totals(queryset) -> dict[str, Decimal]:
    """Arrived, disbursed, spent and awaiting approval over `queryset`, net of reversals.

    Counted as the running totals count them: a reversal subtracts what its original added, and
    a disbursement awaiting approval is only reserved (`pending`) until it is approved."""
    signed = Case(
        When(reverses__isnull=False, then=-F("amount")),
        default=F("amount"),
        output_field=MONEY_FIELD,
    )
    counted = Q(reverses__isnull=True, needs_approval=False) | Q(
        reverses__isnull=True, approval__isnull=False
    )
    counted |= Q(reverses__isnull=False, reverses__needs_approval=False)
    counted |= Q(reverses__isnull=False, reverses__approval__isnull=False)
    moved = {
        "arrived": LedgerEntry.Type.INCOMING_FUNDS,
        "disbursed": LedgerEntry.Type.DISBURSEMENT,
        "spent": LedgerEntry.Type.EXPENDITURE,
    }
    sums = {
        name: Coalesce(Sum(signed, filter=counted & Q(type=type)), ZERO)
        for name, type in moved.items()
    }
    sums["pending"] = Coalesce(
        Sum(signed, filter=~counted & Q(type=LedgerEntry.Type.DISBURSEMENT)), ZERO
    )
    return queryset.order_by().aggregate(**sums)


class TotalsMixin:
    """A row of totals over the change list's filtered rows, above the list."""

    def list_totals(self, queryset) -> list[tuple[str, Decimal]]:
        raise NotImplementedError

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and "cl" in context:
            context["list_totals"] = self.list_totals(context["cl"].queryset)
        return response


class EntryDisplay:
    """Columns an entry shows wherever it is listed."""

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
                    '{} <a href="{}">#{}</a>: {}',
                    pgettext("funding admin", "reversal of"),
                    reverse("admin:funding_ledgerentry_change", args=[obj.reverses_id]),
                    obj.reverses_id,
                    obj.reason,
                )
            )
        reversal = getattr(obj, "reversed_by", None)
        if reversal is not None:
            flags.append(
                format_html(
                    '{} <a href="{}">#{}</a>',
                    pgettext("funding admin", "reversed by"),
                    reverse("admin:funding_ledgerentry_change", args=[reversal.pk]),
                    reversal.pk,
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
        if obj.needs_approval:
            approval = getattr(obj, "approval", None)
            if approval is not None:
                flags.append(
                    format_html(
                        "{} {}",
                        pgettext("funding admin", "approved by"),
                        approval.approved_by.get_username(),
                    )
                )
            elif reversal is None:
                flags.append(
                    format_html(
                        "<strong>{}</strong>", pgettext("funding admin", "awaiting approval")
                    )
                )
        if obj.note and obj.recorded_by_key_id and getattr(obj, "note_publication", None) is None:
            flags.append(
                format_html("<strong>{}</strong>", pgettext("funding admin", "note not public"))
            )
        return format_html_join("; ", "{}", ((flag,) for flag in flags)) if flags else ""


class LedgerEntryForm(forms.ModelForm):
    amount = forms.DecimalField(
        label=pgettext_lazy("funding admin", "amount (CNY)"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
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
        cleaned_data = super().clean()
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


class Refused(Exception):
    """The service refused an entry the form had accepted; its transaction is rolled back."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=pgettext_lazy("funding admin", "Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Why these entries are reversed; kept with each reversal."),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=pgettext_lazy("funding admin", "File"),
        help_text=_("An Excel (.xlsx) or CSV (UTF-8) file laid out as the template."),
    )
    dry_run = forms.BooleanField(label=_("Only check the file; write nothing"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(_("The file is larger than 10 MB; split it."))
        return upload


@admin.register(LedgerEntry)
class LedgerEntryAdmin(TotalsMixin, EntryDisplay, admin.ModelAdmin):
    form = LedgerEntryForm
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
    list_filter = ["type", "project__programme", "beyond_arrivals", "needs_approval"]
    date_hierarchy = "date"
    search_fields = [
        "voucher",
        "note",
        "project__code",
        "project__title_zh_hans",
        "project__title_en",
    ]
    list_select_related = [
        "project",
        "provider",
        "receiver",
        "reversed_by",
        "approval__approved_by",
        "note_publication",
    ]
    autocomplete_fields = ["project", "provider", "receiver"]
    actions = ["reverse_selected", "approve_selected", "publish_notes"]
    posted_fields = [
        "project",
        "type",
        "date",
        "amount",
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
        "recorded_by",
        "recorded_by_key",
        "recorded_at",
    ]

    def list_totals(self, queryset):
        sums = entry_totals(queryset)
        return [
            (pgettext_lazy("funding admin", "arrived"), sums["arrived"]),
            (pgettext_lazy("funding admin", "disbursed"), sums["disbursed"]),
            (pgettext_lazy("funding admin", "spent"), sums["spent"]),
            (pgettext_lazy("funding admin", "awaiting approval"), sums["pending"]),
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
                        entry=entry, reason=form.cleaned_data["reason"], recorded_by=request.user
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
        for entry in queryset.select_related("project"):
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

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name=f"{name}_import"),
            path(
                "import/template.xlsx",
                view(self.template_view),
                {"format": "xlsx"},
                name=f"{name}_import_template_xlsx",
            ),
            path(
                "import/template.csv",
                view(self.template_view),
                {"format": "csv"},
                name=f"{name}_import_template_csv",
            ),
            *super().get_urls(),
        ]

    def template_view(self, request, format):
        if not self.has_add_permission(request):
            raise PermissionDenied
        if format == "xlsx":
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            content = imports.template_xlsx()
        else:
            content_type = "text/csv; charset=utf-8"
            content = imports.template_csv()
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="ledger-import.{format}"'
        return response

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            report = imports.import_ledger(
                upload.read(),
                upload.name,
                recorded_by=request.user,
                dry_run=form.cleaned_data["dry_run"],
            )
            if report.written:
                self.message_user(request, self._imported(report, upload.name), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:funding_ledgerentry_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import ledger entries"),
            "opts": self.opts,
            "form": form,
            "report": report,
            "columns": [header for _key, header in imports.COLUMNS],
            "type_names": list(imports.TYPE_NAMES),
        }
        return TemplateResponse(request, "admin/funding/ledgerentry/import.html", context)

    @staticmethod
    def _imported(report: imports.Report, filename: str) -> str:
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
    readonly_fields = fields
    ordering = ["-date", "-id"]

    class Media:
        css = {"all": ["funding/admin.css"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("provider", "receiver", "reversed_by", "approval__approved_by")
        )


class ProjectFundingInline(ReadOnlyInline):
    """The project's running totals, as the ledger keeps them."""

    model = ProjectFunding
    fields = [
        "planned_cny",
        "committed_cny",
        "arrived_cny",
        "disbursed_cny",
        "spent_cny",
        "pending_cny",
        "beyond_arrivals_cny",
    ]
    readonly_fields = fields

    @admin.display(description=_("planned investment (CNY)"))
    def planned_cny(self, obj):
        return money(obj.project.planned_investment)

    committed_cny = money_column("committed", pgettext_lazy("funding admin", "committed"))
    arrived_cny = money_column("arrived", pgettext_lazy("funding admin", "arrived"))
    disbursed_cny = money_column("disbursed", pgettext_lazy("funding admin", "disbursed"))
    spent_cny = money_column("spent", pgettext_lazy("funding admin", "spent"))
    pending_cny = money_column("pending", pgettext_lazy("funding admin", "awaiting approval"))
    beyond_arrivals_cny = money_column(
        "beyond_arrivals", pgettext_lazy("funding admin", "recorded beyond arrivals")
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project")


# projects does not know about funding; funding adds itself to the project page.
ProjectAdmin.inlines = [*ProjectAdmin.inlines, ProjectFundingInline, LedgerEntryInline]


@admin.register(BudgetLine)
class BudgetLineAdmin(TotalsMixin, SimpleHistoryAdmin):
    list_display = ["project", "year", "kind", "amount_cny", "illustrative", "note"]
    list_filter = ["year", "kind", "project__programme", "illustrative"]
    search_fields = ["project__code", "project__title_zh_hans", "project__title_en", "note"]
    autocomplete_fields = ["project"]
    list_select_related = ["project"]

    amount_cny = money_column("amount", pgettext_lazy("funding admin", "amount (CNY)"))

    def list_totals(self, queryset):
        sums = queryset.order_by().aggregate(
            original=Coalesce(Sum("amount", filter=Q(kind=BudgetLine.Kind.ORIGINAL)), ZERO),
            revised=Coalesce(Sum("amount", filter=Q(kind=BudgetLine.Kind.REVISED)), ZERO),
        )
        return [
            (pgettext_lazy("funding admin", "original"), sums["original"]),
            (pgettext_lazy("funding admin", "revised"), sums["revised"]),
        ]


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


@admin.register(ProjectFunding)
class ProjectFundingAdmin(TotalsMixin, ReadOnlyAdmin):
    list_display = [
        "project",
        "planned_cny",
        "committed_cny",
        "arrived_cny",
        "disbursed_cny",
        "spent_cny",
        "pending_cny",
        "beyond_arrivals_cny",
    ]
    list_filter = [
        "project__programme",
        "project__plan_period",
        "project__field",
        "project__category",
        "project__status",
    ]
    search_fields = ["project__code", "project__title_zh_hans", "project__title_en"]
    list_select_related = ["project"]
    ordering = ["project__code"]

    @admin.display(
        description=_("planned investment (CNY)"), ordering="project__planned_investment"
    )
    def planned_cny(self, obj):
        return money(obj.project.planned_investment)

    committed_cny = money_column("committed", pgettext_lazy("funding admin", "committed"))
    arrived_cny = money_column("arrived", pgettext_lazy("funding admin", "arrived"))
    disbursed_cny = money_column("disbursed", pgettext_lazy("funding admin", "disbursed"))
    spent_cny = money_column("spent", pgettext_lazy("funding admin", "spent"))
    pending_cny = money_column("pending", pgettext_lazy("funding admin", "awaiting approval"))
    beyond_arrivals_cny = money_column(
        "beyond_arrivals", pgettext_lazy("funding admin", "recorded beyond arrivals")
    )

    def list_totals(self, queryset):
        figures = selectors.totals(Project.objects.filter(pk__in=queryset.values("project_id")))
        return [
            (pgettext_lazy("funding admin", "planned"), figures.planned),
            (pgettext_lazy("funding admin", "arrived"), figures.arrived),
            (pgettext_lazy("funding admin", "disbursed"), figures.disbursed),
            (pgettext_lazy("funding admin", "spent"), figures.spent),
            (pgettext_lazy("funding admin", "awaiting approval"), figures.pending),
        ]


@admin.register(ProjectFundingYear)
class ProjectFundingYearAdmin(ReadOnlyAdmin):
    list_display = ["project", "year", "arrived_cny", "disbursed_cny", "spent_cny"]
    list_filter = ["year", "project__programme"]
    search_fields = ["project__code", "project__title_zh_hans", "project__title_en"]
    list_select_related = ["project"]

    arrived_cny = money_column("arrived", pgettext_lazy("funding admin", "arrived"))
    disbursed_cny = money_column("disbursed", pgettext_lazy("funding admin", "disbursed"))
    spent_cny = money_column("spent", pgettext_lazy("funding admin", "spent"))


@admin.register(FundingRollup)
class FundingRollupAdmin(ReadOnlyAdmin):
    """The programme rollups the dashboards read; check_ledger proves them against the ledger."""

    list_display = [
        "programme",
        "published",
        "field",
        "category",
        "plan_period_key",
        "projects",
        "planned_cny",
        "arrived_cny",
        "disbursed_cny",
        "spent_cny",
        "pending_cny",
    ]
    list_filter = ["programme", "published", "field", "category"]
    list_select_related = ["programme"]
    ordering = ["programme", "-published", "field", "category", "plan_period_key"]

    planned_cny = money_column("planned", pgettext_lazy("funding admin", "planned"))
    arrived_cny = money_column("arrived", pgettext_lazy("funding admin", "arrived"))
    disbursed_cny = money_column("disbursed", pgettext_lazy("funding admin", "disbursed"))
    spent_cny = money_column("spent", pgettext_lazy("funding admin", "spent"))
    pending_cny = money_column("pending", pgettext_lazy("funding admin", "awaiting approval"))


@admin.register(FundingRollupYear)
class FundingRollupYearAdmin(ReadOnlyAdmin):
    list_display = [
        "programme",
        "published",
        "field",
        "category",
        "plan_period_key",
        "year",
        "due_cny",
        "arrived_cny",
        "disbursed_cny",
        "spent_cny",
    ]
    list_filter = ["year", "programme", "published", "field", "category"]
    list_select_related = ["programme"]
    ordering = ["programme", "year", "-published", "field", "category", "plan_period_key"]

    due_cny = money_column("due", pgettext_lazy("funding admin", "due"))
    arrived_cny = money_column("arrived", pgettext_lazy("funding admin", "arrived"))
    disbursed_cny = money_column("disbursed", pgettext_lazy("funding admin", "disbursed"))
    spent_cny = money_column("spent", pgettext_lazy("funding admin", "spent"))
