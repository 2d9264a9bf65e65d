"""Education API: public aggregates, and restricted student-level records."""

from collections.abc import Iterable, Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.callers import caller_of
from api.serializers import StrictInputMixin
from core.rest import BilingualField, ModelSerializer, bilingual, bilingual_columns, translated
from education import selectors
from education.models import SCORE, Cohort, Enrolment, Exam, ExamResult, SponsoredProgramme, Student
from education.selectors import RECORDED, REPORTED
from reference.models import ReportedFigure


class SponsoredProgrammeSerializer(ModelSerializer):
    """A sponsored class (援藏班) within a donor–partner pairing."""

    name = BilingualField()
    description = BilingualField()
    pairing = serializers.CharField(source="pairing.code", read_only=True)
    host_school = serializers.CharField(
        source="host_school.code",
        read_only=True,
        help_text="Organisation code. Its API keys read and write the programme's students.",
    )
    partner = serializers.CharField(source="partner.code", read_only=True, allow_null=True)
    invested = serializers.DecimalField(
        source="investment.value",
        max_digits=16,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="Money invested in the programme as a source reports it (CNY).",
    )
    invested_approximate = serializers.BooleanField(
        source="investment.approximate",
        read_only=True,
        allow_null=True,
        help_text="The source gives the amount as 'over N'.",
    )
    invested_source = serializers.CharField(
        source="investment.source", read_only=True, allow_null=True
    )
    enrolled = serializers.IntegerField(
        source="enrolled.value",
        read_only=True,
        allow_null=True,
        help_text="Students enrolled to date as a source reports it: the headline. The intakes "
        "per cohort may add up to more (a later intake on top).",
    )
    enrolled_source = serializers.CharField(
        source="enrolled.source", read_only=True, allow_null=True
    )

    class Meta:
        model = SponsoredProgramme
        fields = [
            "id",
            "code",
            "name",
            "description",
            "pairing",
            "host_school",
            "partner",
            "started_on",
            "invested",
            "invested_approximate",
            "invested_source",
            "enrolled",
            "enrolled_source",
        ]


# The columns of a sponsored programme that the programmes list reads
# (`sponsored_programme_rows`): the two reported figures by their id, value and source.
SPONSORED_PROGRAMME_COLUMNS = (
    "id",
    "code",
    *bilingual_columns("name", "description"),
    "pairing__code",
    "host_school__code",
    "partner__code",
    "started_on",
    "investment_id",
    "investment__value",
    "investment__qualifier",
    *bilingual_columns("investment__source"),
    "enrolled_id",
    "enrolled__value",
    *bilingual_columns("enrolled__source"),
)


def sponsored_programme_rows(
    rows: Iterable[Mapping[str, Any]], serializer: SponsoredProgrammeSerializer
) -> list[dict[str, Any]]:
    """Rows of SPONSORED_PROGRAMME_COLUMNS written as the serializer writes programmes: the
    same keys in the same order, a figure's fields null when the programme has no such figure,
    its source in the request's language, without a model instance per programme and each of
    its five related records. tests/api/test_golden.py holds the list to the bytes it had;
    tests/education/test_api.py holds each row to the programme's own page."""
    fields = serializer.fields
    started_on, invested, enrolled = fields["started_on"], fields["invested"], fields["enrolled"]
    return [
        {
            "id": row["id"],
            "code": row["code"],
            "name": bilingual(row, "name"),
            "description": bilingual(row, "description"),
            "pairing": row["pairing__code"],
            "host_school": row["host_school__code"],
            "partner": row["partner__code"],
            "started_on": started_on.to_representation(row["started_on"]),
            **(
                {
                    "invested": invested.to_representation(row["investment__value"]),
                    "invested_approximate": ReportedFigure.is_approximate(
                        row["investment__qualifier"]
                    ),
                    "invested_source": translated(row, "investment__source"),
                }
                if row["investment_id"] is not None
                else {"invested": None, "invested_approximate": None, "invested_source": None}
            ),
            **(
                {
                    "enrolled": enrolled.to_representation(row["enrolled__value"]),
                    "enrolled_source": translated(row, "enrolled__source"),
                }
                if row["enrolled_id"] is not None
                else {"enrolled": None, "enrolled_source": None}
            ),
        }
        for row in rows
    ]


def named_choice(name: str, values: list[str]):
    """A choice field whose enum is one named schema component, wherever it is used."""

    @extend_schema_field({"type": "string", "enum": values}, component_name=name)
    class NamedChoiceField(serializers.ChoiceField):
        def __init__(self, **kwargs):
            super().__init__(choices=values, **kwargs)

    return NamedChoiceField


BasisField = named_choice("FigureBasisEnum", [RECORDED, REPORTED])
SuppressionCodeField = named_choice(
    "SuppressionCodeEnum", ["small-group", "differencing", "individual-score", "not-reported"]
)
EnrolmentStatusField = named_choice("EnrolmentStatusEnum", Enrolment.Status.values)


class SuppressionSerializer(serializers.Serializer):
    code = SuppressionCodeField()
    reason = serializers.CharField()


class CohortSerializer(ModelSerializer):
    """One year's intake. `intake` counts the students admitted: from the enrolments recorded,
    otherwise as a source reports it (`intake_basis`); null when suppressed."""

    programme = serializers.CharField(source="programme.code", read_only=True)
    intake = serializers.SerializerMethodField()
    intake_basis = serializers.SerializerMethodField()
    intake_suppressed = serializers.SerializerMethodField()

    class Meta:
        model = Cohort
        fields = [
            "id",
            "programme",
            "intake_year",
            "grade",
            "planned_size",
            "intake",
            "intake_basis",
            "intake_suppressed",
            "illustrative_fields",
            "source",
            "note",
        ]

    def _intake(self, cohort):
        return self.context["intakes"].of(cohort)

    def get_intake(self, cohort) -> int | None:
        return self._intake(cohort).count.value

    @extend_schema_field(BasisField())
    def get_intake_basis(self, cohort) -> str:
        return self._intake(cohort).basis

    @extend_schema_field(SuppressionSerializer(allow_null=True))
    def get_intake_suppressed(self, cohort) -> dict | None:
        figure = self._intake(cohort).count
        return {"code": figure.reason, "reason": figure.reason_text} if figure.reason else None


class ExamSerializer(ModelSerializer):
    name = BilingualField()
    ranking_area = serializers.CharField(
        source="ranking_area.name", read_only=True, allow_null=True
    )

    class Meta:
        model = Exam
        fields = [
            "code",
            "name",
            "date",
            "date_precision",
            "maximum_score",
            "ranking_area",
            "area_top_n",
        ]


class BandSerializer(serializers.Serializer):
    low = serializers.DecimalField(**SCORE, help_text="Lowest score in the band.")
    high = serializers.DecimalField(
        **SCORE, help_text="The band holds scores below this (the top band includes it)."
    )
    count = serializers.IntegerField(allow_null=True)


class ReleaseSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="1 for the first release of the cohort and exam.")
    released_at = serializers.DateTimeField()


class ExamStatsSerializer(serializers.Serializer):
    """One cohort's figures for one exam, as last released. A null figure is suppressed or
    unknown: `suppressed` says which and why (bands are named `bands[i]`)."""

    exam = ExamSerializer()
    release = ReleaseSerializer(help_text="The release these figures come from.")
    basis = BasisField(
        help_text="`recorded`: computed from individual results; `reported`: as a source states.",
    )
    source = serializers.CharField(allow_blank=True)  # type: ignore[assignment]  # DRF takes declared fields off the class
    sitting = serializers.IntegerField(allow_null=True)
    mean = serializers.DecimalField(**SCORE, allow_null=True)
    median = serializers.DecimalField(**SCORE, allow_null=True)
    highest = serializers.DecimalField(**SCORE, allow_null=True)
    lowest = serializers.DecimalField(**SCORE, allow_null=True)
    in_area_top_n = serializers.IntegerField(
        allow_null=True, help_text="How many of the area's top `area_top_n` came from the cohort."
    )
    area_top_n = serializers.IntegerField(allow_null=True)
    bands = BandSerializer(many=True)
    suppressed = serializers.DictField(child=SuppressionSerializer())


class CohortStatsSerializer(serializers.Serializer):
    cohort = serializers.IntegerField()
    minimum_group_size = serializers.IntegerField()
    exams = ExamStatsSerializer(many=True)


class EnrolmentSerializer(ModelSerializer):
    programme = serializers.CharField(source="cohort.programme.code", read_only=True)
    intake_year = serializers.IntegerField(source="cohort.intake_year", read_only=True)
    status = EnrolmentStatusField(read_only=True)

    class Meta:
        model = Enrolment
        fields = ["cohort", "programme", "intake_year", "status", "enrolled_on", "left_on"]


class StudentSerializer(ModelSerializer):
    """A student. Restricted: personal data of a minor."""

    home_township = serializers.CharField(
        source="home_township.name", read_only=True, allow_null=True
    )
    enrolments = EnrolmentSerializer(many=True, read_only=True)

    class Meta:
        model = Student
        fields = [
            "public_id",
            "name",
            "gender",
            "birth_date",
            "home_township",
            "guardian_contact",
            "consent_given",
            "consent_date",
            "anonymised_at",
            "enrolments",
        ]


class ResultOutputSerializer(ModelSerializer):
    """One student's exam result. Restricted."""

    student = serializers.CharField(source="student.public_id", read_only=True)
    exam = serializers.CharField(source="exam.code", read_only=True)

    class Meta:
        model = ExamResult
        fields = ["id", "student", "exam", "cohort", "absent", "score", "area_rank", "recorded_at"]


class ResultInputSerializer(StrictInputMixin, serializers.Serializer):
    student = serializers.SlugRelatedField(
        slug_field="public_id", queryset=Student.objects.all(), help_text="The student's public id."
    )
    exam = serializers.SlugRelatedField[Exam](
        slug_field="code", queryset=Exam.objects.all(), help_text="The exam's code."
    )
    cohort = serializers.PrimaryKeyRelatedField[Cohort](
        queryset=Cohort.objects.all(),
        help_text="Id of the cohort the student sat with; one of your own programme's.",
    )
    absent = serializers.BooleanField(required=False, default=False)
    score = serializers.DecimalField(**SCORE, required=False, allow_null=True, default=None)
    area_rank = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2_147_483_647
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # A caller names its own programmes' cohorts and students only; others are not found.
            writable_cohorts = selectors.cohorts_writable_by(caller_of(request))
            self.fields["cohort"].queryset = writable_cohorts  # type: ignore[attr-defined]  # a related field
            self.fields["student"].queryset = Student.objects.filter(  # type: ignore[attr-defined]  # a related field
                enrolments__cohort__in=writable_cohorts
            ).distinct()
