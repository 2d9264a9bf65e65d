from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.callers import caller_of
from api.serializers import BilingualInput, StrictInputMixin
from core.rest import BilingualField, label_field
from projects import lifecycle, selectors
from projects.models import (
    Indicator,
    Milestone,
    Participant,
    Photo,
    ProgressUpdate,
    Project,
    TimelineEvent,
    WorkflowStep,
)
from reference.api.serializers import (
    OrganisationBriefSerializer,
    PlaceBriefSerializer,
    PlanPeriodSerializer,
)
from reference.models import DatePrecision
from reference.validators import no_invisible_controls


class ProjectListSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:project-detail", lookup_field="code")
    title = BilingualField()
    summary = BilingualField()
    programme = serializers.CharField(source="programme.code", read_only=True)
    plan_period = PlanPeriodSerializer(read_only=True, allow_null=True)
    field_label = label_field("field")
    category_label = label_field("category")
    status_label = label_field("status")
    place = PlaceBriefSerializer(read_only=True, allow_null=True)
    beneficiary_unit_label = label_field("beneficiary_unit")
    illustrative_fields = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Project
        fields = [
            "code",
            "url",
            "title",
            "summary",
            "programme",
            "plan_period",
            "field",
            "field_label",
            "category",
            "category_label",
            "status",
            "status_label",
            "place",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "planned_investment",
            "currency",
            "flagship",
            "beneficiaries",
            "beneficiary_unit",
            "beneficiary_unit_label",
            "illustrative_fields",
            "updated_at",
        ]


class ParticipantSerializer(serializers.ModelSerializer):
    organisation = OrganisationBriefSerializer(read_only=True)
    role_label = label_field("role")

    class Meta:
        model = Participant
        fields = ["organisation", "role", "role_label"]


class MilestoneSerializer(serializers.ModelSerializer):
    kind_label = label_field("kind")
    title = BilingualField()
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # DRF takes declared fields off the class
    date_precision_label = label_field("date_precision")

    class Meta:
        model = Milestone
        fields = [
            "kind",
            "kind_label",
            "title",
            "label",
            "planned_date",
            "actual_date",
            "date_precision",
            "date_precision_label",
            "illustrative",
        ]


class IndicatorSerializer(serializers.ModelSerializer):
    name = BilingualField()
    unit = BilingualField()
    progress = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        read_only=True,
        allow_null=True,
        help_text="Share of the way from baseline to target, 0–1; null before any actual.",
    )

    class Meta:
        model = Indicator
        fields = ["name", "unit", "baseline", "target", "actual", "progress", "illustrative"]


class PhotoSerializer(serializers.ModelSerializer):
    caption = BilingualField()
    image = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["caption", "image", "thumbnail", "taken_on"]

    def _absolute(self, url: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    @extend_schema_field(OpenApiTypes.URI)
    def get_image(self, photo: Photo) -> str:
        return self._absolute(photo.image.url)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail(self, photo: Photo) -> str:
        return self._absolute(photo.thumbnail.url)


class ProgressUpdateSerializer(serializers.ModelSerializer):
    title = BilingualField()
    text = BilingualField()
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressUpdate
        fields = ["date", "title", "text", "illustrative", "photos"]


class ProjectDetailSerializer(ProjectListSerializer):
    description = BilingualField()
    participants = ParticipantSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)
    indicators = IndicatorSerializer(many=True, read_only=True)
    updates = ProgressUpdateSerializer(source="published_updates", many=True, read_only=True)
    photos = PhotoSerializer(
        source="gallery",
        many=True,
        read_only=True,
        help_text="Every public photo of the project, those of its published updates included.",
    )

    class Meta(ProjectListSerializer.Meta):
        fields = [
            *ProjectListSerializer.Meta.fields,
            "description",
            "participants",
            "milestones",
            "indicators",
            "updates",
            "photos",
        ]


class TimelineEventSerializer(serializers.ModelSerializer):
    date_precision_label = label_field("date_precision")
    title = BilingualField()
    text = BilingualField()
    programme = serializers.CharField(source="programme.code", read_only=True)
    project = serializers.CharField(
        source="public_project_code",
        read_only=True,
        allow_null=True,
        help_text="Code of the project the event concerns, when that project is published.",
    )

    class Meta:
        model = TimelineEvent
        fields = [
            "id",
            "date",
            "date_precision",
            "date_precision_label",
            "title",
            "text",
            "illustrative",
            "programme",
            "project",
        ]


class ProgressUpdateOutputSerializer(serializers.ModelSerializer):
    """A progress update as partners and the public read it."""

    url = serializers.HyperlinkedIdentityField(view_name="api:progress-update-detail")
    project = serializers.CharField(source="project.code", read_only=True)
    organisation = serializers.CharField(
        source="organisation.code",
        read_only=True,
        allow_null=True,
        help_text="Code of the partner organisation that reported it; null when staff wrote it.",
    )
    title = BilingualField()
    text = BilingualField()
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressUpdate
        fields = [
            "id",
            "url",
            "project",
            "organisation",
            "date",
            "title",
            "text",
            "published",
            "illustrative",
            "photos",
            "created_at",
            "updated_at",
        ]


class ProgressUpdateInputSerializer(StrictInputMixin, serializers.Serializer):
    """What a partner or staff member sends to report progress. Partner updates are published
    by programme staff after review, so partners leave `published` out or false."""

    project = serializers.SlugRelatedField[Project](
        slug_field="code", queryset=Project.objects.none()
    )
    date = serializers.DateField()
    title = BilingualInput(max_length=200, validators_each=[no_invisible_controls])
    text = BilingualInput(max_length=10000, chinese_required=False, required=False)
    published = serializers.BooleanField(required=False, default=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = selectors.projects_known_to(  # type: ignore[attr-defined]  # a related field
            caller_of(self.context["request"])
        )
        if self.instance is not None:
            # The project of an update is fixed once it is reported.
            self.fields["project"].read_only = True


class WorkflowStepSerializer(serializers.ModelSerializer):
    """A lifecycle step's public fields: never who took it, nor a comment kept for staff."""

    step = serializers.CharField(source="action")
    step_label = label_field("action")
    # Plain codes: one stage enum would get two names in the schema.
    from_stage = serializers.CharField()
    to_stage = serializers.CharField()
    from_stage_label = label_field("from_stage")
    to_stage_label = label_field("to_stage")
    comment = serializers.CharField(source="public_comment")
    recorded_at = serializers.DateTimeField(source="at")

    class Meta:
        model = WorkflowStep
        fields = [
            "step",
            "step_label",
            "from_stage",
            "from_stage_label",
            "to_stage",
            "to_stage_label",
            "date",
            "date_precision",
            "document_number",
            "side",
            "opinion",
            "amount",
            "result",
            "comment",
            "illustrative",
            "recorded_at",
        ]


class ApprovedPlanSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    date = serializers.DateField(allow_null=True)
    date_precision = serializers.ChoiceField(choices=DatePrecision.choices)
    document_number = serializers.CharField()
    adjusted = serializers.BooleanField(help_text="Set by an approved plan adjustment (调整).")
    illustrative = serializers.BooleanField()


class WorkflowSerializer(serializers.Serializer):
    code = serializers.CharField()
    stage = serializers.CharField()
    stage_label = serializers.CharField()
    approved_plan = ApprovedPlanSerializer(allow_null=True)
    steps = WorkflowStepSerializer(many=True)


class WorkflowStepInputSerializer(StrictInputMixin, serializers.Serializer):
    step = serializers.ChoiceField(
        choices=[(action, action) for action in lifecycle.KEY_ACTIONS],
        help_text="What a partner key may do: submit or withdraw a proposal, report the start "
        "or the completion of the work.",
    )
    date = serializers.DateField()
    date_precision = serializers.ChoiceField(choices=DatePrecision.choices, default="day")
    document_number = serializers.CharField(
        max_length=100, required=False, default="", allow_blank=True
    )
    comment = serializers.CharField(
        max_length=5000,
        required=False,
        default="",
        allow_blank=True,
        validators=[no_invisible_controls],
    )
