import datetime

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from api.capabilities import UPDATES_WRITE
from api.pagination import UpdatedCursorPagination
from api.schema import (
    IDEMPOTENCY_KEY_PARAMETER,
    IF_MATCH_OPTIONAL_PARAMETER,
    IF_MATCH_PARAMETER,
)
from api.serializers import translated_values
from api.viewsets import PartnerWritableViewSet
from core.rest import RequestLanguageMixin
from projects import selectors, services
from projects.api.filters import TimelineEventFilter
from projects.api.inspections import ProjectInspectionsMixin
from projects.api.serializers import (
    ProgressUpdateInputSerializer,
    ProgressUpdateOutputSerializer,
    ProjectDetailSerializer,
    ProjectListSerializer,
    TimelineEventSerializer,
)
from projects.filters import ProjectFilter, StrictBooleanFilter
from projects.models import ProgressUpdate
from reference.api.views import CODE_REGEX


class ProjectViewSet(ProjectInspectionsMixin, RequestLanguageMixin, viewsets.ReadOnlyModelViewSet):
    """Published aid projects. An unpublished project does not exist here (404)."""

    filterset_class = ProjectFilter
    lookup_field = "code"
    lookup_value_regex = CODE_REGEX

    def get_queryset(self):
        return selectors.published_projects()

    def get_object(self):
        return selectors.published_project_detail(self.kwargs["code"])

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ProjectDetailSerializer
        return ProjectListSerializer


class TimelineEventViewSet(RequestLanguageMixin, viewsets.ReadOnlyModelViewSet):
    """Published events of the programmes' history (大事记), newest first."""

    serializer_class = TimelineEventSerializer
    filterset_class = TimelineEventFilter

    def get_queryset(self):
        return selectors.published_events()


class ProgressUpdateFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", help_text="Project code.")
    updated_since = django_filters.IsoDateTimeFilter(
        method="changed_since",
        help_text="Only updates changed at or after this moment (ISO 8601), for incremental sync.",
    )
    published = StrictBooleanFilter()

    class Meta:
        model = ProgressUpdate
        fields = ["project", "updated_since", "published"]

    def changed_since(self, queryset, name, value):
        # Any ISO offset is valid, but PostgreSQL takes at most ±15:59: compare in UTC.
        return queryset.filter(updated_at__gte=value.astimezone(datetime.UTC))


@extend_schema_view(
    create=extend_schema(
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description=(
            "Report progress on a project. Send an Idempotency-Key so a retry never writes twice."
        ),
    ),
    update=extend_schema(parameters=[IF_MATCH_PARAMETER]),
    partial_update=extend_schema(parameters=[IF_MATCH_PARAMETER]),
    destroy=extend_schema(parameters=[IF_MATCH_OPTIONAL_PARAMETER]),
)
class ProgressUpdateViewSet(PartnerWritableViewSet):
    """Progress updates (项目进展). Partners report on the projects they take part in; their
    updates are published by programme staff. Another organisation's unpublished update does not
    exist for a partner (404); a published one can be read but not changed (404 on write)."""

    required_capability = UPDATES_WRITE
    input_serializer_class = ProgressUpdateInputSerializer
    output_serializer_class = ProgressUpdateOutputSerializer
    filterset_class = ProgressUpdateFilter
    pagination_class = UpdatedCursorPagination

    def visible_queryset(self, caller):
        return selectors.progress_updates_for(caller)

    def writable_queryset(self, caller):
        return selectors.progress_updates_writable_by(caller)

    def _organisation(self, caller):
        return caller.key.organisation if caller.key else None

    def perform_submit(self, caller, data):
        return services.progress_update_submit(
            project=data["project"],
            organisation=self._organisation(caller),
            date=data["date"],
            published=data.get("published", False),
            **translated_values(data, "title"),
            **translated_values(data, "text"),
        )

    def perform_change(self, caller, instance, data):
        changes = {
            **{name: data[name] for name in ("date", "published") if name in data},
            **translated_values(data, "title"),
            **translated_values(data, "text"),
        }
        return services.progress_update_change(
            update=instance, organisation=self._organisation(caller), **changes
        )

    def perform_withdraw(self, caller, instance):
        services.progress_update_withdraw(update=instance, organisation=self._organisation(caller))
