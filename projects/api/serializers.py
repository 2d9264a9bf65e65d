from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.callers import caller_of
from api.serializers import BilingualInput, StrictInputMixin
from core.rest import (
    BilingualField,
    IdentityUrlField,
    ModelSerializer,
    bilingual,
    bilingual_columns,
    choice_labels,
    label_field,
    written,
)
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
from reference.models import DatePrecision, Place
from reference.validators import no_invisible_controls


class ProjectListSerializer(ModelSerializer):
    url = IdentityUrlField(view_name="api:project-detail", lookup_field="code")
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


def project_list_rows(
    rows: Iterable[dict[str, Any]], serializer: ProjectListSerializer
) -> list[dict[str, Any]]:
    """Rows of `selectors.PROJECT_LIST_COLUMNS` written as the serializer writes projects: the
    same keys in the same order, each value through the serializer's own field (dates, money,
    times in the site's zone), labels in the request's language, without a model instance or a
    field lookup per row. tests/api/test_golden.py holds both to the same bytes."""
    fields = serializer.fields
    request = serializer.context["request"]
    url = fields["url"]
    assert isinstance(url, IdentityUrlField)
    period, place = fields["plan_period"], fields["place"]
    assert isinstance(period, serializers.Serializer) and isinstance(place, serializers.Serializer)
    period_fields, place_fields = period.fields, place.fields
    labels = {name: choice_labels(model_field(Project, name)) for name in CHOICES}
    level_labels = choice_labels(model_field(Place, "level"))

    def value(name: str, row_value: Any) -> Any:
        return written(fields[name], row_value)

    def label(name: str, row_value: Any) -> Any:
        text = labels[name].get(row_value, row_value)
        return None if text is None else str(text)

    return [
        {
            "code": row["code"],
            "url": url.url_for(row["code"], request),
            "title": {"zh-hans": row["title_zh_hans"] or "", "en": row["title_en"] or ""},
            "summary": {"zh-hans": row["summary_zh_hans"] or "", "en": row["summary_en"] or ""},
            "programme": row["programme__code"],
            "plan_period": None
            if row["plan_period_id"] is None
            else {
                "code": row["plan_period__code"],
                "name": {
                    "zh-hans": row["plan_period__name_zh_hans"] or "",
                    "en": row["plan_period__name_en"] or "",
                },
                "start_year": period_fields["start_year"].to_representation(
                    row["plan_period__start_year"]
                ),
                "end_year": period_fields["end_year"].to_representation(
                    row["plan_period__end_year"]
                ),
            },
            "field": value("field", row["field"]),
            "field_label": label("field", row["field"]),
            "category": value("category", row["category"]),
            "category_label": label("category", row["category"]),
            "status": value("status", row["status"]),
            "status_label": label("status", row["status"]),
            "place": None
            if row["place_id"] is None
            else {
                "id": row["place_id"],
                "name": {
                    "zh-hans": row["place__name_zh_hans"] or "",
                    "en": row["place__name_en"] or "",
                },
                "level": place_fields["level"].to_representation(row["place__level"]),
                "level_label": level_labels.get(row["place__level"], row["place__level"]),
            },
            "planned_start": value("planned_start", row["planned_start"]),
            "planned_end": value("planned_end", row["planned_end"]),
            "actual_start": value("actual_start", row["actual_start"]),
            "actual_end": value("actual_end", row["actual_end"]),
            "planned_investment": value("planned_investment", row["planned_investment"]),
            "currency": value("currency", row["currency"]),
            "flagship": value("flagship", row["flagship"]),
            "beneficiaries": value("beneficiaries", row["beneficiaries"]),
            "beneficiary_unit": value("beneficiary_unit", row["beneficiary_unit"]),
            "beneficiary_unit_label": label("beneficiary_unit", row["beneficiary_unit"]),
            "illustrative_fields": value("illustrative_fields", row["illustrative_fields"]),
            "updated_at": value("updated_at", row["updated_at"]),
        }
        for row in rows
    ]


CHOICES = ("field", "category", "status", "beneficiary_unit")


def model_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


class ParticipantSerializer(ModelSerializer):
    organisation = OrganisationBriefSerializer(read_only=True)
    role_label = label_field("role")

    class Meta:
        model = Participant
        fields = ["organisation", "role", "role_label"]


class MilestoneSerializer(ModelSerializer):
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


class IndicatorSerializer(ModelSerializer):
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


class PhotoSerializer(ModelSerializer):
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


class ProgressUpdateSerializer(ModelSerializer):
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


class TimelineEventSerializer(ModelSerializer):
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


class ProgressUpdateOutputSerializer(ModelSerializer):
    """A progress update as partners and the public read it."""

    url = IdentityUrlField(view_name="api:progress-update-detail")
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


# The columns of an event that the timeline reads (`timeline_rows`); `public_project_code` is
# the selector's (selectors.published_events).
EVENT_COLUMNS = (
    "id",
    "date",
    "date_precision",
    *bilingual_columns("title", "text"),
    "illustrative",
    "programme__code",
    "public_project_code",
)


def timeline_rows(
    rows: Iterable[Mapping[str, Any]], serializer: TimelineEventSerializer
) -> list[dict[str, Any]]:
    """Rows of EVENT_COLUMNS written as the serializer writes events: the same keys in the same
    order, labels in the request's language, without a model instance per event, programme and
    project. tests/api/test_golden.py holds the list to the bytes it had; tests/projects/
    test_api.py holds each row to the event's own page."""
    date = serializer.fields["date"]
    precisions = choice_labels(TimelineEvent._meta.get_field("date_precision"))
    return [
        {
            "id": row["id"],
            "date": date.to_representation(row["date"]),
            "date_precision": row["date_precision"],
            "date_precision_label": precisions.get(row["date_precision"], row["date_precision"]),
            "title": bilingual(row, "title"),
            "text": bilingual(row, "text"),
            "illustrative": row["illustrative"],
            "programme": row["programme__code"],
            "project": row["public_project_code"],
        }
        for row in rows
    ]


# The columns of an update that the updates list reads (`update_list_rows`).
UPDATE_COLUMNS = (
    "id",
    "project__code",
    "organisation__code",
    "date",
    *bilingual_columns("title", "text"),
    "published",
    "illustrative",
    "created_at",
    "updated_at",
)


def update_list_rows(
    rows: Sequence[Mapping[str, Any]],
    photos: Iterable[Photo],
    serializer: ProgressUpdateOutputSerializer,
) -> list[dict[str, Any]]:
    """Rows of UPDATE_COLUMNS, and the photos of those updates (in the order each update lists
    them), written as the serializer writes updates: the same keys in the same order, without a
    model instance per update, project and organisation; each photo through the serializer's
    own photo field. tests/api/test_golden.py holds the list to the bytes it had; tests/api/
    test_sync.py holds each row to the update's own page."""
    fields = serializer.fields
    url, date, photo_list = fields["url"], fields["date"], fields["photos"]
    created_at, updated_at = fields["created_at"], fields["updated_at"]
    assert isinstance(url, IdentityUrlField)
    request = serializer.context["request"]
    by_update: dict[int, list[Photo]] = {}
    for photo in photos:
        assert photo.update_id is not None
        by_update.setdefault(photo.update_id, []).append(photo)
    return [
        {
            "id": row["id"],
            "url": url.url_for(row["id"], request),
            "project": row["project__code"],
            "organisation": row["organisation__code"],
            "date": date.to_representation(row["date"]),
            "title": bilingual(row, "title"),
            "text": bilingual(row, "text"),
            "published": row["published"],
            "illustrative": row["illustrative"],
            "photos": photo_list.to_representation(by_update.get(row["id"], [])),
            "created_at": created_at.to_representation(row["created_at"]),
            "updated_at": updated_at.to_representation(row["updated_at"]),
        }
        for row in rows
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


class WorkflowStepSerializer(ModelSerializer):
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
    date_precision = serializers.ChoiceField(
        choices=DatePrecision.choices, default=DatePrecision.DAY
    )
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
