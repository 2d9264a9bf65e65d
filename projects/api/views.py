from rest_framework import viewsets

from aidportal.api.views import RequestLanguageMixin
from projects import selectors
from projects.api.filters import TimelineEventFilter
from projects.api.serializers import (
    ProjectDetailSerializer,
    ProjectListSerializer,
    TimelineEventSerializer,
)
from projects.filters import ProjectFilter
from reference.api.views import CODE_REGEX


class ProjectViewSet(RequestLanguageMixin, viewsets.ReadOnlyModelViewSet):
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
