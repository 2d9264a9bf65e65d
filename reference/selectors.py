"""Reads of reference data shared by pages, admin and API, shaped for display."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, QuerySet, Sum, Value, When

from reference.models import (
    AidTeamBatch,
    ExchangeVisit,
    Organisation,
    Place,
    PlanPeriod,
    Programme,
    ReportedFigure,
)


def organisations() -> QuerySet[Organisation]:
    return Organisation.objects.select_related("parent")


def places() -> QuerySet[Place]:
    return Place.objects.all()


def default_programme() -> Programme | None:
    """The programme the showcase opens on: DEFAULT_PROGRAMME, else the first by code."""
    programmes = Programme.objects.select_related("donor", "partner", "partner_place")
    return programmes.order_by(*_default_first()).first()


def default_programme_query() -> QuerySet[Programme]:
    """`default_programme()` as a query of at most one row, for a list that filters by it
    (`programme=Subquery(…)`) in its own query rather than looking it up first."""
    return Programme.objects.order_by(*_default_first())[:1]


def _default_first() -> tuple[Any, ...]:
    # DEFAULT_PROGRAMME first when there is one by that code, then by code.
    if not settings.DEFAULT_PROGRAMME:
        return ("code",)
    return (Case(When(code=settings.DEFAULT_PROGRAMME, then=Value(0)), default=Value(1)), "code")


def programmes() -> QuerySet[Programme]:
    return Programme.objects.select_related("donor", "partner").prefetch_related("periods")


def periods_of(programme_ids: list[int]) -> QuerySet[PlanPeriod]:
    """The plan periods of these programmes, each programme's in their own order."""
    return PlanPeriod.objects.filter(programme_id__in=programme_ids).order_by(
        "programme_id", "start_year"
    )


def team_summary(programme: Programme) -> AidTeamBatch | None:
    """The latest aid-team batch: the public sees its head counts, never its members."""
    return AidTeamBatch.objects.filter(programme=programme).order_by("-number").first()


def reported_figures(programme: Programme) -> QuerySet[ReportedFigure]:
    return ReportedFigure.objects.filter(programme=programme).order_by("order", "code")


@dataclass(frozen=True)
class ExchangeTotal:
    direction: str
    label: str
    groups: int
    person_times: int
    approximate: bool
    illustrative: bool


def exchange_totals(programme: Programme) -> list[ExchangeTotal]:
    """Groups and person-times per direction, summed over every recorded visit."""
    rows = {
        row["direction"]: row
        for row in ExchangeVisit.objects.filter(programme=programme)
        .order_by()
        .values("direction")
        .annotate(groups=Sum("groups"), person_times=Sum("person_times"))
    }
    visits = ExchangeVisit.objects.filter(programme=programme)
    approximate = set(visits.filter(approximate=True).values_list("direction", flat=True))
    illustrative = set(visits.filter(illustrative=True).values_list("direction", flat=True))
    return [
        ExchangeTotal(
            direction=value,
            label=str(label),
            groups=rows[value]["groups"],
            person_times=rows[value]["person_times"],
            approximate=value in approximate,
            illustrative=value in illustrative,
        )
        for value, label in ExchangeVisit.Direction.choices
        if value in rows
    ]


def within_organisation(*, organisation_id: int, root_id: int) -> bool:
    """Whether an organisation is `root` or sits anywhere under it in the parent tree.

    One recursive query walks up from the organisation; UNION (not UNION ALL) stops at a
    record already seen, so a loop in the parents cannot run forever.
    """
    table = connection.ops.quote_name(Organisation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH RECURSIVE up(id, parent_id) AS (
                SELECT id, parent_id FROM {table} WHERE id = %s
                UNION
                SELECT o.id, o.parent_id FROM {table} o JOIN up ON o.id = up.parent_id
            )
            SELECT EXISTS (SELECT 1 FROM up WHERE id = %s)
            """,
            [organisation_id, root_id],
        )
        return bool(cursor.fetchone()[0])
