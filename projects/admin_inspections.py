"""The admin of inspections and findings, and the overdue-findings column and filter on the
project list. Rectifying and closing go through `projects.services`."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from core.exceptions import Conflict
from projects import services
from projects.models import Finding, Inspection, InspectionDocument


class OverdueFindingsFilter(admin.SimpleListFilter):
    title = _("findings past their deadline")
    parameter_name = "overdue_findings"

    def lookups(self, request, model_admin):
        return [("yes", _("Some overdue")), ("no", _("None overdue"))]

    def queryset(self, request, queryset):
        overdue = Q(_overdue_findings__gt=0)
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


class OverdueFindingsColumn(admin.ModelAdmin):
    """For the project list: how many of each project's findings are open past their deadline,
    counted per row shown."""

    def get_queryset(self, request):
        overdue = (
            Finding.objects.filter(Finding.open_overdue(), inspection__project=OuterRef("pk"))
            .order_by()
            .values("inspection__project")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return (
            super().get_queryset(request).annotate(_overdue_findings=Coalesce(Subquery(overdue), 0))
        )

    @admin.display(description=_("overdue findings"), ordering="_overdue_findings")
    def overdue_findings(self, obj):
        return obj._overdue_findings


class FindingInline(admin.StackedInline):
    model = Finding
    extra = 0
    fields = ["text", "severity", "deadline", "published", "state"]
    readonly_fields = ["state"]
    show_change_link = True

    def has_change_permission(self, request, obj=None):
        # Findings are added here; each is changed (and rectified) on its own page, where a
        # closed one is read-only.
        return False

    @admin.display(description=_("state"))
    def state(self, finding):
        return _state(finding)


class DocumentInline(admin.TabularInline):
    model = InspectionDocument
    extra = 0


def _state(finding: Finding):
    if finding.pk is None:
        return ""
    if finding.closed_at:
        return _("closed on %(date)s") % {"date": timezone.localdate(finding.closed_at)}
    if finding.overdue:
        return _("overdue since %(date)s") % {"date": finding.deadline}
    if finding.rectified_at:
        return _("rectified, awaiting closure")
    return pgettext_lazy("finding", "open")


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["date", "project", "team", "finding_count", "open_count", "illustrative"]
    list_filter = ["illustrative", "project__programme"]
    search_fields = ["project__code", "team"]
    autocomplete_fields = ["project"]
    list_select_related = ["project"]
    date_hierarchy = "date"
    inlines = [FindingInline, DocumentInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _findings=Count("findings"),
                _open=Count("findings", filter=Q(findings__closed_at__isnull=True)),
            )
        )

    @admin.display(description=_("findings"), ordering="_findings")
    def finding_count(self, obj):
        return obj._findings

    @admin.display(description=pgettext_lazy("finding", "open"), ordering="_open")
    def open_count(self, obj):
        return obj._open


@admin.register(InspectionDocument)
class InspectionDocumentAdmin(admin.ModelAdmin):
    list_display = ["caption", "inspection"]
    search_fields = ["caption", "inspection__project__code"]
    autocomplete_fields = ["inspection"]
    list_select_related = ["inspection__project"]


class OverdueFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("overdue")),
            ("open", pgettext_lazy("finding", "open")),
            ("rectified", _("rectified, awaiting closure")),
            ("closed", pgettext_lazy("finding", "closed")),
        ]

    def queryset(self, request, queryset):
        states = {
            "overdue": Finding.open_overdue(),
            "open": Q(closed_at__isnull=True),
            "rectified": Q(rectified_at__isnull=False, closed_at__isnull=True),
            "closed": Q(closed_at__isnull=False),
        }
        value = self.value()
        return queryset.filter(states[value]) if value in states else queryset


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["inspection", "severity", "deadline", "state", "published"]
    list_filter = [OverdueFilter, "severity", "published"]
    search_fields = ["inspection__project__code", "text"]
    autocomplete_fields = ["inspection"]
    list_select_related = ["inspection__project"]
    actions = ["close"]
    readonly_fields = ["rectified_at", "rectified_by", "closed_at", "closed_by"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if obj is None:
            return fields
        if not request.user.has_perm("projects.add_finding"):
            # Who records the rectification does not rewrite or publish the finding.
            fields += ["inspection", "text", "severity", "deadline", "published"]
        if obj.closed_at is not None:
            # A closed finding is history: only whether its text is public may change.
            fields += ["inspection", "text", "severity", "deadline", "rectification", "evidence"]
        return list(dict.fromkeys(fields))

    @admin.display(description=_("state"))
    def state(self, finding):
        return _state(finding)

    def get_fields(self, request, obj=None):
        if obj is None:
            # A finding is made first, and rectified afterwards.
            return ["inspection", "text", "severity", "deadline", "published"]
        return super().get_fields(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and obj.rectified_at is not None and "rectification" in form.base_fields:
            form.base_fields["rectification"].required = True
        return form

    def save_model(self, request, obj, form, change):
        rectified = {"rectification", "evidence"} & set(form.changed_data)
        if change and rectified and obj.rectification:
            super().save_model(request, obj, form, change)
            services.finding_rectify(
                finding=obj,
                user=request.user,
                rectification=obj.rectification,
                evidence=obj.evidence if "evidence" in rectified else None,
            )
            obj.refresh_from_db()
            return
        super().save_model(request, obj, form, change)

    def has_close_permission(self, request):
        return request.user.has_perm("projects.close_finding")

    @admin.action(description=_("Close the selected rectified findings"), permissions=["close"])
    def close(self, request, queryset):
        closed = 0
        for finding in queryset:
            try:
                services.finding_close(finding=finding, user=request.user)
            except (Conflict, PermissionDenied, ValidationError) as error:
                messages.error(request, f"{finding}: {error}")
            else:
                closed += 1
        if closed:
            messages.success(
                request,
                ngettext("%(n)d finding closed.", "%(n)d findings closed.", closed) % {"n": closed},
            )
