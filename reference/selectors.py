"""Reads of reference data shared by pages, admin and API, shaped for display."""

from dataclasses import dataclass

from django.db.models import QuerySet, Sum

from reference.models import (
    AidTeamBatch,
    ExchangeVisit,
    Organisation,
    Place,
    Programme,
    ReportedFigure,
)


def organisations() -> QuerySet[Organisation]:
    return Organisation.objects.select_related("parent")


def places() -> QuerySet[Place]:
    return Place.objects.all()


def programmes() -> QuerySet[Programme]:
    return Programme.objects.select_related("donor", "partner").prefetch_related("periods")


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
