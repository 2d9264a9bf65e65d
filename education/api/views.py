from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, pagination, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.callers import Caller, caller_of
from api.capabilities import EDUCATION_RESULTS
from api.pagination import CountedRows
from api.schema import IDEMPOTENCY_KEY_PARAMETER, PROBLEM_MEDIA_TYPE, ProblemSerializer
from api.viewsets import PartnerWriteMixin
from core.rest import RequestLanguageMixin
from education import selectors, services, suppression
from education.api.filters import CohortFilter, ResultFilter
from education.api.serializers import (
    SPONSORED_PROGRAMME_COLUMNS,
    CohortSerializer,
    CohortStatsSerializer,
    ResultInputSerializer,
    ResultOutputSerializer,
    SponsoredProgrammeSerializer,
    StudentSerializer,
    sponsored_programme_rows,
)
from education.models import ExamResult, Student

FORBIDDEN = {(403, PROBLEM_MEDIA_TYPE): ProblemSerializer}


def _figure_dict(stats: selectors.ExamStats) -> dict:
    suppressed = {}
    values = {}
    for name in ("sitting", "mean", "median", "highest", "lowest", "in_area_top_n"):
        figure = getattr(stats, name)
        values[name] = figure.value if figure.reason is None else None
        if figure.reason:
            suppressed[name] = {"code": figure.reason, "reason": figure.reason_text}
    bands = []
    for index, band in enumerate(stats.bands):
        bands.append({"low": band.low, "high": band.high, "count": band.count.value})
        if band.count.reason:
            suppressed[f"bands[{index}]"] = {
                "code": band.count.reason,
                "reason": band.count.reason_text,
            }
    release = stats.release
    assert release is not None, "the public sees released figures only"
    return {
        "exam": stats.exam,
        "release": {"number": release.number, "released_at": release.released_at},
        "basis": stats.basis,
        "source": stats.source,
        **values,
        "area_top_n": stats.area_top_n,
        "bands": bands,
        "suppressed": suppressed,
    }


class ProgrammeViewSet(RequestLanguageMixin, viewsets.ReadOnlyModelViewSet):
    """Sponsored classes (援藏班) such as the 海亮援藏班. Public."""

    serializer_class = SponsoredProgrammeSerializer
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.programmes().order_by("started_on", "code")

    def list(self, request, *args, **kwargs):
        # Columns, not model instances (six per row): the same answer as the serializer's.
        programmes = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(CountedRows(programmes, SPONSORED_PROGRAMME_COLUMNS))
        serializer = self.get_serializer()
        assert page is not None and isinstance(serializer, SponsoredProgrammeSerializer)
        return self.get_paginated_response(sponsored_programme_rows(page, serializer))


class CohortViewSet(RequestLanguageMixin, viewsets.ReadOnlyModelViewSet):
    """Cohorts (one year's intake each) and their public figures. Any count under the minimum
    group size is null, with the reason in `intake_suppressed`."""

    serializer_class = CohortSerializer
    filterset_class = CohortFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.cohorts()

    def get_serializer_context(self):
        intakes = getattr(self, "intakes", None) or selectors.PublishedIntakes()
        return {**super().get_serializer_context(), "intakes": intakes}

    def list(self, request, *args, **kwargs):
        cohorts = self.get_queryset()
        listed = self.filter_queryset(cohorts)
        page = self.paginate_queryset(listed)
        assert page is not None and isinstance(self.paginator, pagination.PageNumberPagination)
        assert self.paginator.page is not None
        self.intakes = selectors.PublishedIntakes()
        if listed is cohorts and self.paginator.page.paginator.count == len(page):
            # No filter, and the page holds the whole list: every cohort of every programme,
            # whose intakes are summarised from it rather than read again.
            self.intakes.seed(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        responses={200: CohortStatsSerializer},
        description=(
            "The cohort's figures per exam as last released (`release`): students sitting, mean, "
            "median, highest and lowest score, score bands and how many were in the area's top "
            "N. Figures are published per release: staff release a cohort's figures for an exam, "
            "frozen, and results recorded since change nothing here until the next release; an "
            "exam never released is not listed. Computed from individual results when any are "
            "recorded for the cohort and exam (`basis: recorded`), else as a source reports them "
            "(`basis: reported`, with `source`); never a mix. A figure over fewer students than "
            "`minimum_group_size` (code `small-group`), or one that with another published "
            "figure would reveal such a group (`differencing`), is null and named in "
            "`suppressed` with the reason; the lowest score, a single student's, is never "
            "published."
        ),
    )
    @action(detail=True, methods=["get"])
    def stats(self, request, pk=None):
        cohort = self.get_object()
        data = {
            "cohort": cohort.pk,
            "minimum_group_size": suppression.min_group(),
            "exams": [_figure_dict(s) for s in selectors.released_exam_stats([cohort])],
        }
        return Response(CohortStatsSerializer(data, context={"request": request}).data)


if TYPE_CHECKING:
    _ViewSet = viewsets.GenericViewSet[Any]
else:
    _ViewSet = object  # the viewsets that use the mixin bring GenericViewSet


class RestrictedMixin(RequestLanguageMixin, _ViewSet):
    """Student-level records: staff with the education role read all; a host school's key reads
    its own programmes' (another school's records are not found, 404); anyone else is refused
    (401 anonymous, 403 staff without the role). Every read is logged."""

    @property
    def caller(self) -> Caller:
        return caller_of(self.request)

    def readable(self):
        programmes = selectors.readable_programmes(self.caller)
        if programmes is None:
            if self.caller.is_anonymous:
                raise exceptions.NotAuthenticated()
            raise exceptions.PermissionDenied()
        return programmes

    def log(self, records) -> None:
        caller = self.caller
        services.log_access(
            request=self.request,
            records=list(records),
            model=self.get_queryset().model,
            user=caller.user,
            api_key=caller.key,
        )

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        self.log(page)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        self.log([instance])
        return Response(self.get_serializer(instance).data)


@extend_schema_view(
    list=extend_schema(responses={200: StudentSerializer(many=True), **FORBIDDEN}),
    retrieve=extend_schema(responses={200: StudentSerializer, **FORBIDDEN}),
)
class StudentViewSet(RestrictedMixin, viewsets.ReadOnlyModelViewSet):
    """Students (restricted): staff with the education role, or the host school's own key."""

    serializer_class = StudentSerializer
    lookup_field = "public_id"
    lookup_value_regex = "[A-Z0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Student.objects.none()
        return selectors.students_for(self.readable())


@extend_schema_view(
    list=extend_schema(responses={200: ResultOutputSerializer(many=True), **FORBIDDEN}),
    retrieve=extend_schema(responses={200: ResultOutputSerializer, **FORBIDDEN}),
    create=extend_schema(
        request=ResultInputSerializer,
        responses={201: ResultOutputSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        description=(
            "Record a student's result. The host school's key with `education:results`, for its "
            "own programmes' cohorts; or education staff. The score lies within 0 and the exam's "
            "maximum; an absent student has no score or rank; the student is enrolled in the "
            "cohort; one result per student and exam. Bad input is a 400 with the problems per "
            "field, and nothing is written. Send an Idempotency-Key so a retry never posts twice."
        ),
    ),
)
class ResultViewSet(
    RestrictedMixin,
    PartnerWriteMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Exam results (restricted). Results are not changed or deleted through the API."""

    filterset_class = ResultFilter
    lookup_value_regex = "[0-9]+"

    @property
    def required_capability(self) -> str | None:  # type: ignore[override]  # chosen per action
        return EDUCATION_RESULTS if self.action == "create" else None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExamResult.objects.none()
        if self.request.method == "POST":
            return ExamResult.objects.none()
        return selectors.results_for(self.readable())

    def get_serializer_class(self):
        if self.action == "create":
            return ResultInputSerializer
        return ResultOutputSerializer

    def create(self, request, *args, **kwargs):
        return self.partner_write(
            request,
            lambda caller, data: services.record_result(
                student=data["student"],
                exam=data["exam"],
                cohort=data["cohort"],
                score=data["score"],
                area_rank=data["area_rank"],
                absent=data["absent"],
            ),
            input_serializer=ResultInputSerializer,
            answer=lambda result: ResultOutputSerializer(result).data,
            location=True,
        )
