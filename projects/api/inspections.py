"""Inspections in the API: counts for everyone on a published project; the inspections with
their findings for staff who may view them and for a key granted `inspections:read`, on the
projects its organisation takes part in. New endpoints, so no existing response changes."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.callers import caller_of
from api.capabilities import INSPECTIONS_READ
from api.permissions import MissingCapability
from api.schema import PROBLEM_MEDIA_TYPE, ProblemSerializer
from core.rest import ModelSerializer, RequestLanguageMixin, label_field
from projects import selectors
from projects.models import Finding, Inspection, InspectionDocument

FORBIDDEN = {(403, PROBLEM_MEDIA_TYPE): ProblemSerializer}
NEEDS = (
    "For staff who may view inspections, and for a partner key on the projects its organisation "
    f"takes part in. A partner key needs the capability `{INSPECTIONS_READ}`."
)


class InspectionCountsSerializer(serializers.Serializer):
    inspections = serializers.IntegerField(read_only=True, help_text="Inspections recorded.")
    last_inspected = serializers.DateField(read_only=True, allow_null=True)
    findings = serializers.IntegerField(read_only=True, help_text="Findings of all inspections.")
    closed = serializers.IntegerField(
        read_only=True, help_text="Findings rectified and closed by a reviewer."
    )
    open = serializers.IntegerField(read_only=True)
    overdue = serializers.IntegerField(
        read_only=True, help_text="Open findings past their rectification deadline."
    )
    last_closed = serializers.DateField(read_only=True, allow_null=True)
    illustrative = serializers.BooleanField(
        read_only=True, help_text="Some inspection is illustrative, not taken from a source."
    )


class FindingSerializer(ModelSerializer):
    severity_label = label_field("severity")
    overdue = serializers.BooleanField(read_only=True)
    evidence = serializers.FileField(read_only=True, allow_null=True, use_url=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "text",
            "severity",
            "severity_label",
            "deadline",
            "published",
            "rectification",
            "evidence",
            "rectified_at",
            "closed_at",
            "overdue",
        ]


class InspectionDocumentSerializer(ModelSerializer):
    class Meta:
        model = InspectionDocument
        fields = ["file", "caption"]


class InspectionSerializer(ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    findings = FindingSerializer(many=True, read_only=True)
    documents = InspectionDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = ["id", "project", "date", "team", "illustrative", "findings", "documents"]


@extend_schema_view(
    list=extend_schema(
        description=f"Inspections with their findings, newest first. {NEEDS}",
        responses={200: InspectionSerializer(many=True), **FORBIDDEN},
    ),
    retrieve=extend_schema(
        description=f"One inspection with its findings. {NEEDS}",
        responses={200: InspectionSerializer, **FORBIDDEN},
    ),
)
class InspectionViewSet(RequestLanguageMixin, viewsets.ReadOnlyModelViewSet):
    """Inspections (督查/检查) and their findings, rectification (整改) and closure."""

    serializer_class = InspectionSerializer
    # For the schema; each request's inspections come from `get_queryset`.
    queryset = Inspection.objects.none()

    def get_queryset(self) -> QuerySet[Inspection]:
        caller = caller_of(self.request)
        inspections = selectors.inspections_visible_to(caller)
        if inspections is not None:
            return inspections.order_by("-date", "-id")
        if caller.is_anonymous:
            raise exceptions.NotAuthenticated()
        if caller.key is not None:
            raise MissingCapability(INSPECTIONS_READ)
        raise exceptions.PermissionDenied()


class ProjectInspectionsMixin(viewsets.GenericViewSet):
    """Adds `/projects/{code}/inspections/` to the project endpoint."""

    @extend_schema(
        responses=InspectionCountsSerializer,
        operation_id="projects_inspections",
        description=(
            "How often a published project was inspected and how many of the findings were "
            "closed, with the dates: counts only, never what the findings say."
        ),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def inspections(self, request: Request, code: str) -> Response:
        project = selectors.published_project_detail(code)
        counts = selectors.inspection_counts(project)
        data = {**counts.__dict__, "open": counts.open}
        return Response(InspectionCountsSerializer(data).data)
