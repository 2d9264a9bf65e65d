"""The running totals the ledger keeps, per project and per programme group: read-only."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, ReadOnlyInline, money, money_column
from core.changelists import LargeListAdmin
from funding import selectors
from funding.admin.display import TotalsMixin, YearFilter
from funding.models import (
    FundingRollup,
    FundingRollupYear,
    ProjectFunding,
    ProjectFundingYear,
)
from projects.models import Project


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
        "record_entry",
    ]
    readonly_fields = fields  # type: ignore[assignment]  # the same names, all read-only

    @admin.display(description=_("planned investment (CNY)"))
    def planned_cny(self, obj):
        return money(obj.project.planned_investment)

    @admin.display(description=_("ledger"))
    def record_entry(self, obj):
        # The entry form opened from here shows these figures beside the fields.
        return format_html(
            '<a class="addlink" href="{}?project={}">{}</a>',
            reverse("admin:funding_ledgerentry_add"),
            obj.project_id,
            gettext("Record an entry"),
        )

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


@admin.register(ProjectFunding)
class ProjectFundingAdmin(TotalsMixin, LargeListAdmin, ReadOnlyAdmin):
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
    ordering = ["project__code", "id"]
    keyset = ("project__code", "id")

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
class ProjectFundingYearAdmin(LargeListAdmin, ReadOnlyAdmin):
    list_display = ["project", "year", "arrived_cny", "disbursed_cny", "spent_cny"]
    list_filter = [YearFilter, "project__programme"]
    search_fields = ["project__code", "project__title_zh_hans", "project__title_en"]
    list_select_related = ["project"]
    keyset = ("-pk",)

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
