from django import forms
from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationStackedInline, TranslationTabularInline
from simple_history.admin import SimpleHistoryAdmin

from core.admin import money_column
from core.changelists import LargeListAdmin
from projects import lifecycle
from projects.admin_inspections import OverdueFindingsColumn, OverdueFindingsFilter
from projects.lifecycle_admin import LifecycleAdminMixin
from projects.models import (
    Indicator,
    Milestone,
    Participant,
    Photo,
    ProgressUpdate,
    Project,
    TimelineEvent,
)
from reference.admin import HistoryTranslationAdmin
from reference.models import DatePrecision


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    autocomplete_fields = ["organisation"]


# How a date of each precision is typed, and how many of its parts (year, month, day) it has.
PRECISION_FORMATS = {
    DatePrecision.DAY: ("%Y-%m-%d", 3),
    DatePrecision.MONTH: ("%Y-%m", 2),
    DatePrecision.YEAR: ("%Y", 1),
}
PRECISION_EXAMPLES = {
    DatePrecision.DAY: "2024-06-15",
    DatePrecision.MONTH: "2024-06",
    DatePrecision.YEAR: "2024",
}


class MilestoneForm(forms.ModelForm):
    """A milestone's dates are typed to its precision: 2024-06 for a month, 2024 for a year, and
    stored as the first day of that month or year."""

    DATE_FIELDS = ("planned_date", "actual_date")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shown, _parts = PRECISION_FORMATS[DatePrecision(self.instance.date_precision)]
        for name in self.DATE_FIELDS:
            field = self.fields[name]
            assert isinstance(field, forms.DateField)
            field.input_formats = [fmt for fmt, _parts in PRECISION_FORMATS.values()]
            field.widget = forms.DateInput(format=shown, attrs={"placeholder": "2024-06"})
            field.help_text = _("A day (2024-06-15), a month (2024-06) or a year (2024).")
        if self.instance.pk and self.instance.kind in lifecycle.derived_milestone_kinds(
            self.instance.project
        ):
            # Dated by a lifecycle step: typed once, there.
            for name in ("kind", "actual_date", "date_precision"):
                self.fields[name].disabled = True
            self.fields["actual_date"].help_text = _("Set by the project's lifecycle step.")

    def clean(self):
        data = super().clean() or self.cleaned_data
        precision = data.get("date_precision") or DatePrecision.DAY
        _format, needed = PRECISION_FORMATS[DatePrecision(precision)]
        for name in self.DATE_FIELDS:
            value, typed = data.get(name), (self.data.get(self.add_prefix(name)) or "").strip()
            if value is None:
                continue
            if typed.count("-") + 1 < needed:
                self.add_error(
                    name,
                    gettext("Type this date as %(example)s, as its precision asks.")
                    % {"example": PRECISION_EXAMPLES[DatePrecision(precision)]},
                )
            elif precision == DatePrecision.MONTH:
                data[name] = value.replace(day=1)
            elif precision == DatePrecision.YEAR:
                data[name] = value.replace(month=1, day=1)
        return data


class MilestoneInline(TranslationTabularInline):
    model = Milestone
    form = MilestoneForm
    extra = 0
    fields = ["kind", "title", "planned_date", "actual_date", "date_precision", "illustrative"]


class IndicatorInline(TranslationTabularInline):
    model = Indicator
    extra = 0
    fields = ["name", "unit", "baseline", "target", "actual", "illustrative", "order"]


class ProgressUpdateInline(TranslationStackedInline):
    model = ProgressUpdate
    extra = 0
    fields = ["date", "title", "text", "published", "illustrative"]
    show_change_link = True


class PhotoInline(TranslationTabularInline):
    model = Photo
    extra = 0
    fields = ["preview", "image", "caption", "update", "taken_on", "order"]
    readonly_fields = ["preview"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # Only this project's updates can hold its photos.
        update_field = formset.form.base_fields.get("update")
        if update_field is not None:
            update_field.queryset = (  # type: ignore[attr-defined]  # a model choice field
                ProgressUpdate.objects.filter(project=obj)
                if obj
                else (ProgressUpdate.objects.none())
            )
        return formset

    @admin.display(description=_("preview"))
    def preview(self, obj):
        if not obj.pk or not obj.image:
            return "—"
        return format_html('<img src="{}" alt="{}" width="120">', obj.thumbnail.url, obj.caption)


@admin.register(Project)
class ProjectAdmin(
    LifecycleAdminMixin, OverdueFindingsColumn, LargeListAdmin, HistoryTranslationAdmin
):
    list_display = [
        "code",
        "title",
        "programme",
        "field",
        "category",
        "status",
        "stage",
        "planned_investment_cny",
        "flagship",
        "published",
        "update_count",
        "overdue_findings",
    ]
    list_display_links = ["code", "title"]
    keyset = ("code",)
    planned_investment_cny = money_column("planned_investment", _("planned investment (CNY)"))
    list_filter = [
        "programme",
        "plan_period",
        "field",
        "category",
        "status",
        "stage",
        "flagship",
        "published",
        OverdueFindingsFilter,
    ]
    list_editable = ["published"]
    search_fields = ["code", "title_zh_hans", "title_en"]
    autocomplete_fields = ["programme", "plan_period", "place"]
    list_select_related = ["programme"]
    date_hierarchy = "planned_start"
    readonly_fields = ["created_at", "updated_at"]
    inlines = [
        ParticipantInline,
        MilestoneInline,
        IndicatorInline,
        ProgressUpdateInline,
        PhotoInline,
    ]
    fieldsets = [
        (None, {"fields": ["programme", "code", "title", "summary", "description"]}),
        (
            _("Classification"),
            {
                "fields": [
                    "field",
                    "category",
                    "plan_period",
                    "place",
                    "status",
                    "stage",
                    "flagship",
                ]
            },
        ),
        (
            _("Dates and money"),
            {
                "fields": [
                    "planned_start",
                    "planned_end",
                    "actual_start",
                    "actual_end",
                    "planned_investment",
                    ("beneficiaries", "beneficiary_unit"),
                ]
            },
        ),
        (
            _("Publication"),
            {"fields": ["published", "illustrative_fields", "created_at", "updated_at"]},
        ),
    ]

    def get_queryset(self, request):
        # Counted per row shown, not by grouping every project before the page is cut.
        updates = (
            ProgressUpdate.objects.filter(project=OuterRef("pk"))
            .order_by()
            .values("project")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return super().get_queryset(request).annotate(_update_count=Coalesce(Subquery(updates), 0))

    @admin.display(description=_("updates"), ordering="_update_count")
    def update_count(self, obj):
        return obj._update_count


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(HistoryTranslationAdmin):
    list_display = ["date", "title", "project", "organisation", "published", "illustrative"]
    list_filter = ["published", "illustrative", "project__programme", "organisation"]
    list_editable = ["published"]
    search_fields = ["title_zh_hans", "title_en", "project__code", "project__title_zh_hans"]
    autocomplete_fields = ["project", "organisation"]
    list_select_related = ["project", "organisation"]
    date_hierarchy = "date"


@admin.register(Photo)
class PhotoAdmin(HistoryTranslationAdmin):
    list_display = ["caption", "project", "update", "taken_on"]
    search_fields = ["caption_zh_hans", "caption_en", "project__code"]
    autocomplete_fields = ["project", "update"]
    list_select_related = ["project", "update"]


@admin.register(Milestone)
class MilestoneAdmin(HistoryTranslationAdmin):
    list_display = ["label", "project", "kind", "planned_date", "actual_date", "illustrative"]
    list_filter = ["kind", "illustrative"]
    search_fields = ["title_zh_hans", "title_en", "project__code"]
    autocomplete_fields = ["project"]
    list_select_related = ["project"]

    @admin.display(description=_("milestone"))
    def label(self, milestone):
        return milestone.label


@admin.register(Indicator)
class IndicatorAdmin(HistoryTranslationAdmin):
    list_display = ["name", "project", "unit", "baseline", "target", "actual"]
    search_fields = ["name_zh_hans", "name_en", "project__code"]
    autocomplete_fields = ["project"]
    list_select_related = ["project"]


@admin.register(Participant)
class ParticipantAdmin(SimpleHistoryAdmin):
    list_display = ["project", "organisation", "role"]
    list_filter = ["role"]
    search_fields = ["project__code", "organisation__code", "organisation__name_zh_hans"]
    autocomplete_fields = ["project", "organisation"]
    list_select_related = ["project", "organisation"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or lifecycle.may_edit_project(request.user, obj.project)
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "project":
            # Another project is not found here: "Select a valid choice" on the form.
            kwargs["queryset"] = lifecycle.projects_editable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(TimelineEvent)
class TimelineEventAdmin(HistoryTranslationAdmin):
    list_display = ["date", "title", "programme", "project", "published", "illustrative"]
    list_filter = ["programme", "published", "illustrative"]
    search_fields = ["title_zh_hans", "title_en"]
    autocomplete_fields = ["programme", "project"]
    list_select_related = ["programme", "project"]
    date_hierarchy = "date"
