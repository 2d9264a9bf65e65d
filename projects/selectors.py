"""Reads that the public pages, the admin and the API share, already shaped for display.

Public readers only ever see published records: every public query starts from one of the
`published_*` functions here.
"""

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from simple_history.models import registered_models

from api.callers import Caller
from api.capabilities import INSPECTIONS_READ
from core.newest import Column, column_of, newest, newest_times
from core.registry import app_modules
from projects.models import (
    Finding,
    Indicator,
    Inspection,
    Milestone,
    Participant,
    Photo,
    PlanAdjustment,
    ProgressUpdate,
    Project,
    ProjectRollup,
    Stage,
    TimelineEvent,
    WorkflowStep,
)
from reference.models import DatePrecision, Place, Programme

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def published_projects() -> QuerySet[Project]:
    """Published projects with what a list row shows, in one query."""
    return Project.objects.filter(published=True).select_related(
        "programme", "plan_period", "place", "place__parent"
    )


# What a row of the projects list shows, as columns: the API reads a page of them with .values()
# (api.pagination.CountedRows), without a model instance (and its translated fields) per row.
PROJECT_LIST_COLUMNS = (
    "code",
    "title_zh_hans",
    "title_en",
    "summary_zh_hans",
    "summary_en",
    "programme__code",
    "plan_period_id",
    "plan_period__code",
    "plan_period__name_zh_hans",
    "plan_period__name_en",
    "plan_period__start_year",
    "plan_period__end_year",
    "field",
    "category",
    "status",
    "place_id",
    "place__name_zh_hans",
    "place__name_en",
    "place__level",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "planned_investment",
    "currency",
    "flagship",
    "beneficiaries",
    "beneficiary_unit",
    "illustrative_fields",
    "updated_at",
)


def published_project_detail(code: str) -> Project:
    """One published project with everything its page shows; a 404 for anything else."""
    queryset = published_projects().prefetch_related(
        Prefetch(
            "participants",
            queryset=Participant.objects.select_related("organisation").order_by(
                "role", "organisation__code"
            ),
        ),
        "milestones",
        "indicators",
        Prefetch(
            "updates",
            queryset=ProgressUpdate.objects.filter(published=True).prefetch_related("photos"),
            to_attr="published_updates",
        ),
        Prefetch(
            "photos",
            queryset=Photo.objects.filter(Q(update__isnull=True) | Q(update__published=True)),
            to_attr="gallery",
        ),
    )
    return get_object_or_404(queryset, code=code)


def published_events(programme: Programme | None = None) -> QuerySet[TimelineEvent]:
    """Published events with `public_project_code`: the linked project's code, or None while
    that project is unpublished, so that no reader learns of it through the timeline."""
    events = (
        TimelineEvent.objects.filter(published=True)
        .select_related("project", "programme")
        .annotate(
            public_project_code=Case(
                When(project__published=True, then=F("project__code")),
                default=None,
                output_field=CharField(),
            )
        )
    )
    if programme is not None:
        events = events.filter(programme=programme)
    return events


def latest_updates(programme: Programme, limit: int = 5) -> QuerySet[ProgressUpdate]:
    return (
        ProgressUpdate.objects.filter(
            published=True, project__published=True, project__programme=programme
        )
        .select_related("project")
        .order_by("-date", "-id")[:limit]
    )


@dataclass(frozen=True)
class Breakdown:
    key: str
    label: str
    count: int
    investment: Decimal
    share: Decimal  # of the programme's project count, 0–1, for bar widths


@dataclass(frozen=True)
class ProgrammeFigures:
    project_count: int
    planned_investment: Decimal
    flagship_count: int
    by_field: list[Breakdown]
    by_status: list[Breakdown]
    by_category: list[Breakdown]


def _breakdown(
    groups: Sequence[Mapping[str, Any]],
    column: str,
    choices: Iterable[tuple[str, "StrOrPromise"]],
    total: int,
) -> list[Breakdown]:
    counts: dict[str, int] = defaultdict(int)
    investments: dict[str, Decimal] = defaultdict(Decimal)
    for group in groups:
        counts[group[column]] += group["projects"]
        investments[group[column]] += group["planned_investment"]
    return [
        Breakdown(
            key=value,
            label=str(label),
            count=counts[value],
            investment=investments[value],
            share=Decimal(counts[value]) / Decimal(total) if total else Decimal("0"),
        )
        for value, label in choices
        if counts.get(value)
    ]


def programme_figures(programme: Programme) -> ProgrammeFigures:
    """Headline figures of a programme's published projects, added up from its project counts:
    a few rows per programme however many projects it has, kept by the database in the same
    transaction as every write to projects (projects.rollups)."""
    groups = list(
        ProjectRollup.objects.filter(programme=programme, published=True).values(
            "field", "category", "status", "flagship", "projects", "planned_investment"
        )
    )
    count = sum(group["projects"] for group in groups)
    return ProgrammeFigures(
        project_count=count,
        planned_investment=sum((group["planned_investment"] for group in groups), Decimal("0")),
        flagship_count=sum(group["projects"] for group in groups if group["flagship"]),
        by_field=_breakdown(groups, "field", Project.Field.choices, count),
        by_status=_breakdown(groups, "status", Project.Status.choices, count),
        by_category=_breakdown(groups, "category", Project.Category.choices, count),
    )


def published_project_count() -> int:
    """How many projects are published, in every programme: from the project counts."""
    total = ProjectRollup.objects.filter(published=True).aggregate(n=Sum("projects"))["n"]
    return total or 0


def milestone_durations(milestones: list[Milestone]) -> list[tuple[Milestone, Milestone, int]]:
    """Spans between reached standard milestones, in whole months (filing to operation: 7)."""
    reached = {m.kind: m for m in milestones if m.actual_date and m.kind != Milestone.Kind.CUSTOM}
    spans = []
    pairs = [
        (Milestone.Kind.APPROVAL, Milestone.Kind.CONSTRUCTION_START),
        (Milestone.Kind.CONSTRUCTION_START, Milestone.Kind.COMPLETION),
        (Milestone.Kind.APPROVAL, Milestone.Kind.HANDOVER),
    ]
    for first, last in pairs:
        if first in reached and last in reached:
            start, end = reached[first].actual_date, reached[last].actual_date
            assert start and end, "reached milestones have an actual date"
            months = (end.year - start.year) * 12 + (end.month - start.month)
            if (
                end.day < start.day
                and reached[first].date_precision == "day"
                and (reached[last].date_precision == "day")
            ):
                months -= 1
            spans.append((reached[first], reached[last], max(months, 0)))
    return spans


# What anyone may read of the progress updates.
PUBLIC_UPDATES = Q(published=True, project__published=True)


def progress_updates_for(caller: Caller) -> QuerySet[ProgressUpdate]:
    """Updates a caller may read: the public ones (published, on a published project), plus
    every update its own organisation reported; staff who may view them see all."""
    updates = ProgressUpdate.objects.select_related("project", "organisation").prefetch_related(
        "photos"
    )
    if reads_public_updates_only(caller):
        return updates.filter(PUBLIC_UPDATES)
    if caller.has_perm("projects.view_progressupdate"):
        return updates
    return updates.filter(PUBLIC_UPDATES | Q(organisation_id=caller.organisation_id))


def reads_public_updates_only(caller: Caller) -> bool:
    """Whether a caller reads the public updates and nothing more (`progress_updates_for`
    decides by it, and the API's list reads its public rows built once by it): neither staff who
    may view every update nor a key whose organisation reports its own."""
    return caller.organisation_id is None and not caller.has_perm("projects.view_progressupdate")


def has_photos() -> Exists:
    """Whether an update has a photo, for a query of updates to annotate."""
    return Exists(Photo.objects.filter(update=OuterRef("pk")))


def photos_of_updates(update_ids: list[int]) -> QuerySet[Photo]:
    """The photos of these updates, in the order each update lists them (Photo's own order)."""
    return Photo.objects.filter(update_id__in=update_ids)


def progress_updates_writable_by(caller: Caller) -> QuerySet[ProgressUpdate]:
    """Updates a caller may change: its own organisation's, or any for staff (whose model
    permissions the API checks before this)."""
    updates = ProgressUpdate.objects.select_related("project", "organisation")
    if caller.is_staff:
        return updates
    if caller.organisation_id is None:
        return updates.none()
    return updates.filter(organisation_id=caller.organisation_id)


def takes_part(*, project: Project, organisation_id: int) -> bool:
    """Whether an organisation is among a project's participating organisations."""
    return project.participants.filter(organisation_id=organisation_id).exists()


def projects_known_to(caller: Caller) -> QuerySet[Project]:
    """Projects a caller may name: published ones and those its organisation takes part in;
    all for staff, whose model permissions the API checks before any write. Naming any other is
    answered as if it did not exist."""
    if caller.is_staff:
        return Project.objects.all()
    return projects_known_to_organisation(caller.organisation_id)


def projects_known_to_organisation(organisation_id: int | None) -> QuerySet[Project]:
    """Published projects and those the organisation takes part in."""
    known = Q(published=True)
    if organisation_id is not None:
        known |= Q(participants__organisation_id=organisation_id)
    return Project.objects.filter(known).distinct()


# Change histories of staff-only records: a change there is not a change to the public data.
PRIVATE_HISTORIES = {"reference.TeamMember"}


@cache
def change_columns() -> tuple[Column, ...]:
    """The tables and columns whose newest value says when public data last changed. Found once
    per process: every public request asks (reading `model.history` builds a manager class)."""
    columns = [
        column_of(model.history.model, "history_date")
        for model in registered_models.values()
        if model._meta.label not in PRIVATE_HISTORIES
    ]
    # Lifecycle steps have no history (they are never changed); a review changes no project.
    columns.append(column_of(WorkflowStep, "at"))
    for module in app_modules("showcase"):
        for label, field in getattr(module, "CHANGE_SOURCES", ()):
            columns.append(column_of(apps.get_model(label), field))
    return tuple(columns)


# Records that a project's page shows only on their own project's page, by label (each
# showcase module adds its own as PROJECT_OWNED): a change to another project's leaves the page
# as it is. Every other record a project's page shows counts for every page (the map counts the
# programme's projects per place, say).
PROJECT_OWNED = (
    "projects.Participant",
    "projects.Milestone",
    "projects.Indicator",
    "projects.ProgressUpdate",
    "projects.Photo",
    "projects.TimelineEvent",
    "projects.WorkflowStep",
    "projects.Inspection",
)


@cache
def _project_owned() -> tuple[tuple[str, str], ...]:
    """(table, project column) of the project-owned records and of their histories."""
    labels = [*PROJECT_OWNED]
    for module in app_modules("showcase"):
        labels += getattr(module, "PROJECT_OWNED", ())
    owned = []
    for label in labels:
        model = apps.get_model(label)
        owned.append(column_of(model, "project"))
        if model in registered_models.values():  # its history's rows name the project too
            owned.append(column_of(model.history.model, "project"))
    return tuple(owned)


def data_as_of(project_code: str | None = None) -> datetime.datetime | None:
    """When the data behind the public pages last changed (数据截至): the newest entry of every
    change history but the staff-only ones, and of the timestamps apps register for records
    without a history (ledger entries, transitions), in one query, from where the request's other
    reads come (so that the version names the data the page shows).

    With `project_code`, when the data behind that project's page last changed: the records of
    PROJECT_OWNED count only if they have ever belonged to that project."""
    owner: tuple[str, str | None] = ("", None)
    if project_code is not None:
        owner = (f'SELECT id FROM "{Project._meta.db_table}" WHERE code = %s', project_code)
    times = newest_times(
        change_columns(), read_as=WorkflowStep, owned=_project_owned(), owner=owner
    )
    return newest(times.values())


@dataclass(frozen=True)
class MapPoint:
    place: Place
    x: float
    y: float
    project_count: int
    highlighted: bool
    label_anchor: str  # "start" (label right of the dot) or "end" (left, near the right edge)


@dataclass(frozen=True)
class PlaceMap:
    width: int
    height: int
    points: list[MapPoint]
    unplaced: Sequence[Place]  # places with projects but no recorded coordinates, listed instead


MAP_WIDTH, MAP_MARGIN = 640, 48
MAP_HEIGHTS = (160, 400)  # a single place gets the low strip; a tall spread is cut to the top


@dataclass(frozen=True)
class Projection:
    """Latitude and longitude to x and y in a drawing `width` × `height` (north up)."""

    west: float
    north: float
    shrink: float  # cos(middle latitude): a degree of longitude is that much shorter
    scale: float  # drawing units per degree of latitude
    offset_x: float
    offset_y: float
    width: int
    height: int

    def __call__(self, latitude: Decimal, longitude: Decimal) -> tuple[float, float]:
        x = self.offset_x + (float(longitude) - self.west) * self.shrink * self.scale
        y = self.offset_y + (self.north - float(latitude)) * self.scale
        return round(x, 1), round(y, 1)


def project_box(
    coordinates: list[tuple[Decimal, Decimal]],
    *,
    width: int = MAP_WIDTH,
    heights: tuple[int, int] = MAP_HEIGHTS,
    margin: int = MAP_MARGIN,
) -> Projection:
    """The projection of the coordinates' bounding box into a drawing `width` wide and as tall
    as the box needs, between `heights`. Equirectangular, a degree of longitude shortened by the
    cosine of the box's middle latitude so that shapes keep their proportions; one scale for both
    axes, the box centred with `margin` free on every side for labels. A single place lands in the
    middle of the low strip."""
    latitudes = [float(lat) for lat, _lon in coordinates]
    longitudes = [float(lon) for _lat, lon in coordinates]
    south, north = min(latitudes), max(latitudes)
    west, east = min(longitudes), max(longitudes)
    shrink = math.cos(math.radians((south + north) / 2))
    span_x, span_y = (east - west) * shrink, north - south
    room_x = width - 2 * margin
    if span_x > 0:
        height = round(min(max(span_y * room_x / span_x + 2 * margin, heights[0]), heights[1]))
    else:
        height = heights[1] if span_y > 0 else heights[0]
    room_y = height - 2 * margin
    fits = [room / span for room, span in ((room_x, span_x), (room_y, span_y)) if span > 0]
    scale = min(fits, default=0.0)
    return Projection(
        west=west,
        north=north,
        shrink=shrink,
        scale=scale,
        offset_x=(width - span_x * scale) / 2,
        offset_y=(height - span_y * scale) / 2,
        width=width,
        height=height,
    )


def place_map(programme: Programme, *, highlight: Place | None = None) -> PlaceMap:
    """The programme's places for the location map: the partner district and the places under
    it, and every place of the programme's published projects, each with its count of published
    projects. Places with coordinates are drawn (`highlight`, a project's place, marked); places
    with projects but no coordinates are listed in `unplaced`. One query."""
    in_programme = Q(projects__programme=programme, projects__published=True)
    scope = in_programme
    if programme.partner_place_id:
        district = programme.partner_place_id
        scope |= Q(pk=district) | Q(parent_id=district) | Q(parent__parent_id=district)
    places = list(
        Place.objects.filter(pk__in=Place.objects.filter(scope).values("pk"))
        .annotate(project_count=Count("projects", filter=in_programme))
        .order_by("admin_code", "name")
    )
    located = [p for p in places if p.latitude is not None and p.longitude is not None]
    unplaced = [p for p in places if p not in located and p.project_count]
    points = []
    height = MAP_HEIGHTS[0]
    if located:
        # `located` holds the places with both coordinates.
        project = project_box([(p.latitude, p.longitude) for p in located])  # type: ignore[misc]
        height = project.height
        for place in located:
            # As above: every place in `located` has both coordinates.
            x, y = project(place.latitude, place.longitude)  # type: ignore[arg-type]
            points.append(
                MapPoint(
                    place=place,
                    x=x,
                    y=y,
                    project_count=place.project_count,
                    highlighted=highlight is not None and place.pk == highlight.pk,
                    label_anchor="end" if x > MAP_WIDTH * 0.7 else "start",
                )
            )
    return PlaceMap(width=MAP_WIDTH, height=height, points=points, unplaced=unplaced)


def published_participants() -> QuerySet[Participant]:
    """The participating organisations of published projects, as their pages list them."""
    return Participant.objects.filter(project__published=True).order_by(
        "project__code", "role", "organisation__code"
    )


def published_milestones() -> QuerySet[Milestone]:
    """The milestones of published projects, each project's in its page's order."""
    return Milestone.objects.filter(project__published=True).order_by(
        "project__code", F("actual_date").asc(nulls_last=True), "planned_date", "id"
    )


def published_indicators() -> QuerySet[Indicator]:
    """The indicators of published projects, each project's in its page's order."""
    return Indicator.objects.filter(project__published=True).order_by(
        "project__code", "order", "id"
    )


def partner_updates_awaiting_publication(caller: Caller) -> QuerySet[ProgressUpdate] | None:
    """Progress updates partners reported (with their key) that staff have not published yet, for
    a caller who may publish them: the staff desk's queue, oldest first; None for anyone else."""
    if not caller.has_perm("projects.change_progressupdate"):
        return None
    return (
        ProgressUpdate.objects.filter(published=False, organisation__isnull=False)
        .select_related("project", "organisation")
        .order_by("created_at", "id")
    )


# The lifecycle (projects.lifecycle): public history, the approved plan, and the desk's queues.


def projects_of(organisation_id: int | None) -> QuerySet[Project]:
    """Projects an organisation takes part in, published or not (its key's lifecycle steps)."""
    if organisation_id is None:
        return Project.objects.none()
    return Project.objects.filter(
        pk__in=Participant.objects.filter(organisation_id=organisation_id).values("project_id")
    )


def public_steps(project: Project) -> QuerySet[WorkflowStep]:
    """A published project's lifecycle steps, oldest first, for the public page and API: the
    step, its dates and document number; who took it and comments stay with staff unless a
    comment was made public."""
    return project.steps.order_by("id").only(
        "project_id",
        "action",
        "from_stage",
        "to_stage",
        "date",
        "date_precision",
        "document_number",
        "side",
        "opinion",
        "amount",
        "result",
        "comment",
        "comment_public",
        "illustrative",
        "at",
    )


@dataclass(frozen=True)
class ApprovedPlan:
    """The planned investment in force and the approval it comes from: the latest approved plan
    adjustment, or else the project's approval; `date` is None where that approval is undated
    or the project is not approved yet."""

    amount: Decimal
    date: datetime.date | None
    document_number: str
    adjusted: bool
    illustrative: bool
    date_precision: str = DatePrecision.DAY


def approved_plan(project: Project) -> ApprovedPlan | None:
    adjustment = (
        project.adjustments.filter(status=PlanAdjustment.Status.APPROVED)
        .order_by("-decided_on", "-id")
        .first()
    )
    if adjustment is not None:
        return ApprovedPlan(
            project.planned_investment,
            adjustment.decided_on,
            adjustment.document_number,
            adjusted=True,
            illustrative=False,
        )
    approval = project.steps.filter(action=WorkflowStep.Action.APPROVE).order_by("-id").first()
    if approval is None:
        return None
    return ApprovedPlan(
        project.planned_investment,
        approval.date,
        approval.document_number,
        adjusted=False,
        illustrative=approval.illustrative,
        date_precision=approval.date_precision,
    )


def _waiting_projects(stage: str) -> QuerySet[Project]:
    """Projects at a stage, oldest waiting first: since their last step, or their creation."""
    last_step = WorkflowStep.objects.filter(project=OuterRef("pk")).order_by("-id").values("at")[:1]
    return (
        Project.objects.filter(stage=stage)
        .annotate(waiting_since=Coalesce(Subquery(last_step), F("created_at")))
        .order_by("waiting_since", "id")
    )


def _opinions(projects: QuerySet[Project]) -> QuerySet[Project]:
    """Each side's latest opinion since the project was last submitted for review."""
    last_submit = (
        WorkflowStep.objects.filter(project=OuterRef("pk"), action=WorkflowStep.Action.SUBMIT)
        .order_by("-id")
        .values("id")[:1]
    )
    projects = projects.annotate(last_submit=Coalesce(Subquery(last_submit), 0))
    for side in WorkflowStep.Side.values:
        latest = (
            WorkflowStep.objects.filter(
                project=OuterRef("pk"),
                action=WorkflowStep.Action.REVIEW,
                side=side,
                id__gt=OuterRef("last_submit"),
            )
            .order_by("-id")
            .values("opinion")[:1]
        )
        projects = projects.annotate(**{f"{side}_opinion": Subquery(latest)})
    return projects


def awaiting_review(caller: Caller, side: str) -> QuerySet[Project] | None:
    """Projects in joint review that have no opinion of this side yet, for its reviewers."""
    if not caller.has_perm(f"projects.review_project_{side}"):
        return None
    return _opinions(_waiting_projects(Stage.REVIEW)).filter(Q((f"{side}_opinion__isnull", True)))


def awaiting_approval(caller: Caller) -> QuerySet[Project] | None:
    """Projects in joint review that both sides agree to, for approvers."""
    if not caller.has_perm("projects.approve_project"):
        return None
    return _opinions(_waiting_projects(Stage.REVIEW)).filter(
        Q(donor_opinion=WorkflowStep.Opinion.AGREE) & Q(partner_opinion=WorkflowStep.Opinion.AGREE)
    )


def awaiting_submission(caller: Caller) -> QuerySet[Project] | None:
    """Proposals being prepared or returned, for proposers to submit."""
    if not caller.has_perm("projects.propose_project"):
        return None
    return _waiting_projects(Stage.PROPOSAL)


def awaiting_step(caller: Caller, stage: str) -> QuerySet[Project] | None:
    """Approved projects to start, completed ones to accept, accepted ones to hand over."""
    if not caller.has_perm("projects.run_project"):
        return None
    return _waiting_projects(stage)


def adjustments_awaiting_decision(caller: Caller) -> QuerySet[PlanAdjustment] | None:
    if not caller.has_perm("projects.approve_project"):
        return None
    return (
        PlanAdjustment.objects.filter(status=PlanAdjustment.Status.REQUESTED)
        .select_related("project")
        .order_by("requested_at", "id")
    )


# Inspections and rectification (projects.inspections).


@dataclass(frozen=True)
class InspectionCounts:
    """What the public learns of a project's inspections: how many, when, and how many of their
    findings were closed, never what the findings say."""

    inspections: int
    last_inspected: datetime.date | None
    findings: int
    closed: int
    overdue: int
    last_closed: datetime.date | None
    illustrative: bool

    @property
    def open(self) -> int:
        return self.findings - self.closed


def inspection_counts(project: Project) -> InspectionCounts:
    """Counts and dates of a project's inspections and findings, in two queries."""
    inspections = Inspection.objects.filter(project=project).aggregate(
        n=Count("pk"), last=Max("date"), illustrative=Count("pk", filter=Q(illustrative=True))
    )
    findings = Finding.objects.filter(inspection__project=project).aggregate(
        n=Count("pk"),
        closed=Count("pk", filter=Q(closed_at__isnull=False)),
        overdue=Count("pk", filter=Finding.open_overdue()),
        last_closed=Max("closed_at"),
    )
    last_closed = findings["last_closed"]
    return InspectionCounts(
        inspections=inspections["n"],
        last_inspected=inspections["last"],
        findings=findings["n"],
        closed=findings["closed"],
        overdue=findings["overdue"],
        last_closed=timezone.localdate(last_closed) if last_closed else None,
        illustrative=bool(inspections["illustrative"]),
    )


def published_findings(project: Project) -> QuerySet[Finding]:
    """The findings of a project whose text staff have published, oldest deadline first."""
    return Finding.objects.filter(inspection__project=project, published=True).select_related(
        "inspection"
    )


def inspections_visible_to(caller: Caller) -> QuerySet[Inspection] | None:
    """Inspections with their findings and documents, for staff who may view them and for a key
    granted `inspections:read`, on the projects its organisation takes part in; None for anyone
    else."""
    inspections = Inspection.objects.select_related("project").prefetch_related(
        "findings", "documents"
    )
    if caller.user is not None:
        return inspections if caller.has_perm("projects.view_inspection") else None
    if caller.key is not None and caller.key.has_capability(INSPECTIONS_READ):
        own = Participant.objects.filter(organisation_id=caller.key.organisation_id)
        return inspections.filter(project__in=own.values("project"))
    return None


def overdue_findings(caller: Caller) -> QuerySet[Finding] | None:
    """Open findings past their deadline, oldest deadline first, for a caller who may record
    their rectification."""
    if not caller.has_perm("projects.change_finding"):
        return None
    return (
        Finding.objects.filter(Finding.open_overdue())
        .select_related("inspection__project")
        .order_by("deadline", "id")
    )


def findings_awaiting_closure(caller: Caller) -> QuerySet[Finding] | None:
    """Rectified findings not yet closed, for a reviewer who may close them: never those the
    reviewer rectified, which another reviewer closes."""
    if caller.user is None or not caller.has_perm("projects.close_finding"):
        return None
    return (
        Finding.objects.filter(rectified_at__isnull=False, closed_at__isnull=True)
        .exclude(rectified_by=caller.user)
        .select_related("inspection__project")
        .order_by("rectified_at", "id")
    )
