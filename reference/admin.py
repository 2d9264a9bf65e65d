from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TabbedTranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from reference.models import (
    AidTeamBatch,
    ExchangeVisit,
    Organisation,
    Place,
    PlanPeriod,
    Programme,
    ReportedFigure,
    TeamMember,
)


class HistoryTranslationAdmin(SimpleHistoryAdmin, TabbedTranslationAdmin):
    """Tabs per language, and a History button showing who changed what, when."""


@admin.register(Organisation)
class OrganisationAdmin(HistoryTranslationAdmin):
    list_display = ["code", "name", "short_name", "type", "parent"]
    list_filter = ["type"]
    search_fields = ["code", "name_zh_hans", "name_en", "short_name_zh_hans", "short_name_en"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


@admin.register(Place)
class PlaceAdmin(HistoryTranslationAdmin):
    list_display = ["name", "level", "parent", "admin_code", "latitude", "longitude"]
    list_filter = ["level"]
    search_fields = ["name_zh_hans", "name_en", "admin_code"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]


class PlanPeriodInline(admin.TabularInline):
    model = PlanPeriod
    extra = 0
    fields = ["code", "name_zh_hans", "name_en", "start_year", "end_year"]


@admin.register(Programme)
class ProgrammeAdmin(HistoryTranslationAdmin):
    list_display = ["code", "name", "donor", "partner", "started_on"]
    search_fields = ["code", "name_zh_hans", "name_en"]
    autocomplete_fields = ["donor", "partner", "partner_place"]
    list_select_related = ["donor", "partner"]
    inlines = [PlanPeriodInline]


@admin.register(PlanPeriod)
class PlanPeriodAdmin(HistoryTranslationAdmin):
    list_display = ["name", "code", "programme", "start_year", "end_year"]
    list_filter = ["programme"]
    search_fields = ["code", "name_zh_hans", "name_en"]
    autocomplete_fields = ["programme"]
    list_select_related = ["programme"]


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    autocomplete_fields = ["sending_organisation"]


@admin.register(AidTeamBatch)
class AidTeamBatchAdmin(SimpleHistoryAdmin):
    list_display = [
        "number",
        "programme",
        "arrived_on",
        "leaves_on",
        "cadres",
        "medical",
        "teachers",
        "lawyers",
        "others",
        "total",
    ]
    list_filter = ["programme"]
    autocomplete_fields = ["programme"]
    list_select_related = ["programme"]
    search_fields = ["number", "note"]
    inlines = [TeamMemberInline]

    @admin.display(description=_("head count"))
    def total(self, obj):
        return obj.head_count


@admin.register(TeamMember)
class TeamMemberAdmin(SimpleHistoryAdmin):
    list_display = ["name", "role", "batch", "sending_organisation", "position"]
    list_filter = ["role", "batch__programme", "batch"]
    search_fields = ["name", "position"]
    autocomplete_fields = ["batch", "sending_organisation"]
    list_select_related = ["batch", "sending_organisation"]


@admin.register(ExchangeVisit)
class ExchangeVisitAdmin(HistoryTranslationAdmin):
    list_display = [
        "title",
        "programme",
        "direction",
        "started_on",
        "ended_on",
        "groups",
        "person_times",
        "illustrative",
    ]
    list_filter = ["programme", "direction", "illustrative"]
    search_fields = ["title_zh_hans", "title_en"]
    autocomplete_fields = ["programme"]
    list_select_related = ["programme"]
    date_hierarchy = "started_on"


@admin.register(ReportedFigure)
class ReportedFigureAdmin(HistoryTranslationAdmin):
    list_display = ["label", "programme", "value", "unit", "qualifier", "as_of", "source"]
    list_filter = ["programme"]
    search_fields = ["code", "label_zh_hans", "label_en", "source_zh_hans", "source_en"]
    autocomplete_fields = ["programme"]
    list_select_related = ["programme"]
