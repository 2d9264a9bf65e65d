import datetime
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.actors import Actor
from api.callers import Caller
from api.capabilities import PROJECTS_WORKFLOW, UPDATES_WRITE
from api.pagination import CountedRows, UpdatedCursorPagination
from api.schema import (
    IDEMPOTENCY_KEY_PARAMETER,
    IF_MATCH_OPTIONAL_PARAMETER,
    IF_MATCH_PARAMETER,
)
from api.serializers import translated_values
from api.viewsets import PartnerWritableViewSet, PartnerWriteMixin
from core.querysets import built_once
from core.rest import RequestLanguageMixin
from projects import lifecycle, selectors, services
from projects.api.filters import TimelineEventFilter
from projects.api.inspections import ProjectInspectionsMixin
from projects.api.serializers import (
    EVENT_COLUMNS,
    UPDATE_COLUMNS,
    ProgressUpdateInputSerializer,
    ProgressUpdateOutputSerializer,
    ProjectDetailSerializer,
    ProjectListSerializer,
    TimelineEventSerializer,
    WorkflowSerializer,
    WorkflowStepInputSerializer,
    project_list_rows,
    timeline_rows,
    update_list_rows,
)
from projects.filters import ProjectFilter, StrictBooleanFilter
from projects.models import ProgressUpdate, Project
from reference.api.views import CODE_REGEX

WORKFLOW_KEYS_ONLY = gettext_lazy(
    "Partners take lifecycle steps with their organisation's key; staff take them in the admin."
)


def workflow_answer(project: Project) -> dict:
    """A project's lifecycle: its stage, the plan in force and its steps' public fields."""
    return WorkflowSerializer(
        {
            "code": project.code,
            "stage": project.stage,
            "stage_label": project.get_stage_display(),
            "approved_plan": selectors.approved_plan(project),
            "steps": selectors.public_steps(project),
        }
    ).data


class ProjectViewSet(
    ProjectInspectionsMixin, RequestLanguageMixin, PartnerWriteMixin, viewsets.ReadOnlyModelViewSet
):
    """Published aid projects. An unpublished project does not exist here (404)."""

    filterset_class = ProjectFilter
    lookup_field = "code"
    lookup_value_regex = CODE_REGEX

    @property
    def required_capability(self) -> str | None:  # type: ignore[override]  # chosen per action
        return PROJECTS_WORKFLOW if self.action == "workflow" else None

    @property
    def keys_only(self):  # type: ignore[override]  # only the lifecycle's steps are written
        return WORKFLOW_KEYS_ONLY if self.action == "workflow" else None

    @extend_schema(
        methods=["GET"],
        responses={200: WorkflowSerializer},
        description="A published project's lifecycle (申报 → 联审 → 批复 → 实施 → 竣工 → 验收 → "
        "移交): its stage, the planned investment in force with the approval (or plan "
        "adjustment) it comes from, and every step with its date and document number. Who "
        "took a step and comments kept for staff are not shown.",
    )
    @extend_schema(
        methods=["POST"],
        request=WorkflowStepInputSerializer,
        responses={201: WorkflowSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description="Take a lifecycle step on a project your organisation takes part in "
        "(`projects:workflow` key): submit or withdraw a proposal, report the start or the "
        "completion of the work. A step the project's stage does not allow is a 409 "
        "`/api/v1/problems/workflow-step-refused`; a project your organisation does not take "
        "part in is a 404. Reviews, approvals, acceptance and handover are staff's, in the "
        "admin.",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def workflow(self, request, *args, **kwargs):
        code = self.kwargs["code"]
        if request.method == "GET":
            project = get_object_or_404(selectors.published_projects(), code=code)
            return Response(workflow_answer(project))
        return self.partner_write(
            request,
            lambda caller, project, data: lifecycle.take_step(
                project=project,
                action=data["step"],
                actor=Actor.of(caller),
                details=lifecycle.StepDetails(
                    date=data["date"],
                    date_precision=data["date_precision"],
                    document_number=data["document_number"],
                    comment=data["comment"],
                ),
            ),
            input_serializer=WorkflowStepInputSerializer,
            target=lambda: get_object_or_404(
                selectors.projects_of(self.caller.organisation_id), code=code
            ),
            answer=lambda step: workflow_answer(step.project),
            status_code=status.HTTP_201_CREATED,
        )

    def get_queryset(self):
        return selectors.published_projects()

    def get_object(self):
        return selectors.published_project_detail(self.kwargs["code"])

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ProjectDetailSerializer
        return ProjectListSerializer

    def list(self, request, *args, **kwargs):
        # Columns, not model instances: the same answer as the serializer's (project_list_rows).
        projects = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(CountedRows(projects, selectors.PROJECT_LIST_COLUMNS))
        serializer = self.get_serializer()
        assert page is not None and isinstance(serializer, ProjectListSerializer)
        return self.get_paginated_response(project_list_rows(page, serializer))


class TimelineEventViewSet(RequestLanguageMixin, viewsets.ReadOnlyModelViewSet):
    """Published events of the programmes' history (大事记), newest first."""

    serializer_class = TimelineEventSerializer
    filterset_class = TimelineEventFilter

    def get_queryset(self):
        return selectors.published_events()

    def list(self, request, *args, **kwargs):
        # Columns, not model instances (three per row): the same answer as the serializer's.
        events = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(CountedRows(events, EVENT_COLUMNS))
        serializer = self.get_serializer()
        assert page is not None and isinstance(serializer, TimelineEventSerializer)
        return self.get_paginated_response(timeline_rows(page, serializer))


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


def update_rows(updates: QuerySet[ProgressUpdate]) -> QuerySet[Any]:
    """The updates as the list's columns (UPDATE_COLUMNS), with whether each has a photo."""
    with_photos = updates.prefetch_related(None).annotate(has_photos=selectors.has_photos())
    return with_photos.values(*UPDATE_COLUMNS, "has_photos")


@built_once
def public_update_rows() -> QuerySet[Any]:
    """The public updates, which anonymous readers (and staff who may not view updates) read:
    built once per process (core.querysets), as every such request asks for the same."""
    return update_rows(selectors.progress_updates_for(Caller()))


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

    def list(self, request, *args, **kwargs):
        # Columns, not model instances (three per row): the same answer as the serializer's.
        if selectors.reads_public_updates_only(self.caller):
            rows = public_update_rows()
        else:
            rows = update_rows(self.get_queryset())
        page = self.paginate_queryset(self.filter_queryset(rows))
        assert page is not None
        # The photos of the updates that have any: no query when none has.
        shown = [row["id"] for row in page if row["has_photos"]]
        photos = selectors.photos_of_updates(shown) if shown else []
        serializer = self.get_serializer()
        assert isinstance(serializer, ProgressUpdateOutputSerializer)
        return self.get_paginated_response(update_list_rows(page, photos, serializer))

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
