"""factory-boy factories for every model the tests build."""

import datetime
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from projects.models import (
    Finding,
    Indicator,
    Inspection,
    Milestone,
    Participant,
    ProgressUpdate,
    Project,
    TimelineEvent,
)
from reference.models import (
    AidTeamBatch,
    ExchangeVisit,
    Organisation,
    Place,
    PlanPeriod,
    Programme,
    TeamMember,
)


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ORG-{n:04d}")
    name_zh_hans = factory.Sequence(lambda n: f"组织{n}")
    name_en = factory.Sequence(lambda n: f"Organisation {n}")
    type = Organisation.Type.LOCAL_GOVERNMENT


class PlaceFactory(DjangoModelFactory):
    class Meta:
        model = Place

    name_zh_hans = factory.Sequence(lambda n: f"地点{n}")
    name_en = factory.Sequence(lambda n: f"Place {n}")
    level = Place.Level.DISTRICT


class ProgrammeFactory(DjangoModelFactory):
    class Meta:
        model = Programme

    code = factory.Sequence(lambda n: f"programme-{n}")
    name_zh_hans = factory.Sequence(lambda n: f"对口支援{n}")
    name_en = factory.Sequence(lambda n: f"Pairing {n}")
    donor = factory.SubFactory(OrganisationFactory)
    partner = factory.SubFactory(OrganisationFactory)


class PlanPeriodFactory(DjangoModelFactory):
    class Meta:
        model = PlanPeriod

    programme = factory.SubFactory(ProgrammeFactory)
    code = "14th"
    name_zh_hans = "十四五"
    name_en = "14th Five-Year Plan"
    start_year = 2021
    end_year = 2025


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    programme = factory.SubFactory(ProgrammeFactory)
    code = factory.Sequence(lambda n: f"P-{n:04d}")
    title_zh_hans = factory.Sequence(lambda n: f"项目{n}")
    title_en = factory.Sequence(lambda n: f"Project {n}")
    field = Project.Field.LIVELIHOOD
    category = Project.Category.HOUSING
    status = Project.Status.IMPLEMENTATION
    planned_investment = Decimal("1000000.00")
    published = True


class ParticipantFactory(DjangoModelFactory):
    class Meta:
        model = Participant

    project = factory.SubFactory(ProjectFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Participant.Role.IMPLEMENTING


class MilestoneFactory(DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    kind = Milestone.Kind.APPROVAL
    actual_date = datetime.date(2023, 1, 10)


class IndicatorFactory(DjangoModelFactory):
    class Meta:
        model = Indicator

    project = factory.SubFactory(ProjectFactory)
    name_zh_hans = factory.Sequence(lambda n: f"指标{n}")
    name_en = factory.Sequence(lambda n: f"Indicator {n}")
    unit_zh_hans = "户"
    unit_en = "households"
    baseline = Decimal("0")
    target = Decimal("100")
    actual = Decimal("50")


class ProgressUpdateFactory(DjangoModelFactory):
    class Meta:
        model = ProgressUpdate

    project = factory.SubFactory(ProjectFactory)
    date = datetime.date(2024, 6, 1)
    title_zh_hans = factory.Sequence(lambda n: f"进展{n}")
    title_en = factory.Sequence(lambda n: f"Update {n}")
    published = True


class TimelineEventFactory(DjangoModelFactory):
    class Meta:
        model = TimelineEvent

    programme = factory.SubFactory(ProgrammeFactory)
    date = factory.Sequence(lambda n: datetime.date(2020, 1, 1) + datetime.timedelta(days=n))
    title_zh_hans = factory.Sequence(lambda n: f"大事{n}")
    title_en = factory.Sequence(lambda n: f"Event {n}")
    published = True


class AidTeamBatchFactory(DjangoModelFactory):
    class Meta:
        model = AidTeamBatch

    programme = factory.SubFactory(ProgrammeFactory)
    number = factory.Sequence(lambda n: n + 1)
    arrived_on = datetime.date(2022, 7, 1)
    cadres = 3
    medical = 8
    lawyers = 1


class TeamMemberFactory(DjangoModelFactory):
    class Meta:
        model = TeamMember

    batch = factory.SubFactory(AidTeamBatchFactory)
    name = factory.Sequence(lambda n: f"队员{n}")
    role = TeamMember.Role.CADRE


class ExchangeVisitFactory(DjangoModelFactory):
    class Meta:
        model = ExchangeVisit

    programme = factory.SubFactory(ProgrammeFactory)
    direction = ExchangeVisit.Direction.TO_DONOR
    title_zh_hans = "赴杭交流"
    title_en = "Visit to Hangzhou"
    started_on = datetime.date(2023, 5, 1)
    ended_on = datetime.date(2023, 5, 10)
    groups = 1
    person_times = 20


class InspectionFactory(DjangoModelFactory):
    class Meta:
        model = Inspection

    project = factory.SubFactory(ProjectFactory)
    date = datetime.date(2024, 5, 10)
    team = factory.Sequence(lambda n: f"督查组{n}")


class FindingFactory(DjangoModelFactory):
    class Meta:
        model = Finding

    inspection = factory.SubFactory(InspectionFactory)
    text = factory.Sequence(lambda n: f"Scaffolding without safety nets, site {n}")
    severity = Finding.Severity.MINOR
    deadline = datetime.date(2024, 6, 10)
