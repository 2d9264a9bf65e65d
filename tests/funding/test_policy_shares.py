"""The policy figures: the grassroots share (县及县以下) and the livelihood share (民生), computed
by hand on a small programme, kept in the rollups, checked by check_ledger, and shown on
/funding/, the home page and in the funding summary."""

import datetime
import re
from decimal import Decimal

import pytest
from django.test import Client

from api.keys import issue_api_key
from funding import rollups, selectors, services
from funding.models import BudgetLine, FundingRollup, LedgerEntry
from projects.models import Participant, Project
from reference.models import Place, Programme
from tests.factories import (
    OrganisationFactory,
    PlaceFactory,
    PlanPeriodFactory,
    ProgrammeFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

ARRIVAL, DISBURSEMENT = LedgerEntry.Type.INCOMING_FUNDS, LedgerEntry.Type.DISBURSEMENT


def record(project, type, amount, date):
    return services.record_entry(project=project, type=type, date=date, amount=Decimal(amount))


@pytest.fixture
def small(settings):
    """Two projects of a programme whose partner is a county: a livelihood project in a township
    (planned 600, due 300 in 2024, disbursed 200) and a development project with no place
    (planned 400, due 100 in 2024, disbursed 300)."""
    programme = ProgrammeFactory(code="small")
    settings.DEFAULT_PROGRAMME = programme.code
    period = PlanPeriodFactory(programme=programme)
    district = PlaceFactory(level=Place.Level.DISTRICT)
    township = PlaceFactory(level=Place.Level.TOWNSHIP, parent=district)
    livelihood = ProjectFactory(
        programme=programme,
        plan_period=period,
        place=township,
        field=Project.Field.LIVELIHOOD,
        planned_investment=Decimal("600"),
    )
    development = ProjectFactory(
        programme=programme,
        plan_period=period,
        place=None,
        field=Project.Field.DEVELOPMENT,
        planned_investment=Decimal("400"),
    )
    for project, due, disbursed in ((livelihood, "300", "200"), (development, "100", "300")):
        BudgetLine.objects.create(project=project, year=2024, amount=Decimal(due))
        record(project, ARRIVAL, project.planned_investment, datetime.date(2024, 1, 10))
        record(project, DISBURSEMENT, disbursed, datetime.date(2024, 3, 1))
    return programme, district, township, development


def shares_of(programme):
    return selectors.policy_shares(selectors.projects_in_scope(public=True, programme=programme))


def test_the_shares_by_hand_with_a_county_partner(small):
    programme, *_ = small

    shares = shares_of(programme)

    # Every project of a county's programme is at county level or below, placed or not.
    assert shares.overall.grassroots_planned.rate == Decimal("1")
    assert shares.overall.grassroots_disbursed.rate == Decimal("1")
    assert shares.all_grassroots
    # 600 of 1000 planned; 200 of 500 disbursed.
    assert shares.overall.livelihood_planned.rate == Decimal("0.6")
    assert shares.overall.livelihood_disbursed.rate == Decimal("0.4")
    assert shares.expected == Decimal("0.8")
    (period,) = shares.by_period
    assert period.key == "14th"
    assert period.livelihood_planned == shares.overall.livelihood_planned
    (year,) = shares.by_year
    # 2024: 300 of 400 due; 200 of 500 disbursed.
    assert year.key == 2024
    assert year.livelihood_planned.rate == Decimal("0.75")
    assert year.livelihood_disbursed.rate == Decimal("0.4")


def test_with_a_prefecture_partner_only_placed_projects_are_grassroots(small):
    programme, district, _township, development = small
    Programme.objects.filter(pk=programme.pk).update(
        partner_level=Programme.PartnerLevel.PREFECTURE, expected_share=Decimal("85")
    )
    programme.refresh_from_db()

    shares = shares_of(programme)

    # The development project has no place: it is at the prefecture's own level.
    assert shares.overall.grassroots_planned.rate == Decimal("0.6")
    assert shares.overall.grassroots_disbursed.rate == Decimal("0.4")
    assert shares.by_year[0].grassroots_planned.rate == Decimal("0.75")
    assert not shares.all_grassroots
    assert shares.expected == Decimal("0.85")

    development.place = district
    development.save()

    shares = shares_of(programme)
    assert shares.overall.grassroots_planned.rate == Decimal("1")
    assert shares.all_grassroots
    assert rollups.differences() == []


def test_the_rollups_give_what_the_per_project_totals_give(small):
    programme, _district, township, _development = small
    scope = selectors.projects_in_scope(public=True, programme=programme)
    assert scope.whole_groups

    assert selectors.policy_shares(scope) == selectors.policy_shares(scope.projects())

    # A place that changes level regroups its projects' rollups.
    assert set(FundingRollup.objects.values_list("place_level", flat=True)) == {"township", ""}
    township.level = Place.Level.VILLAGE
    township.save()
    assert set(FundingRollup.objects.values_list("place_level", flat=True)) == {"village", ""}
    assert rollups.differences() == []


def test_check_ledger_catches_a_rollup_grouped_under_the_wrong_place_level(small):
    FundingRollup.objects.filter(place_level="township").update(place_level="village")

    found = rollups.differences()

    assert any(" village " in line for line in found)
    assert any(" township " in line for line in found)


def test_the_summary_gives_both_shares_with_their_definitions(small):
    programme, *_ = small
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(
        "/api/v1/funding/summary/", {"programme": programme.code}
    )

    assert response.status_code == 200
    data = response.json()
    grassroots, livelihood = data["grassroots_share"], data["livelihood_share"]
    assert Decimal(grassroots["planned"]) == 1
    assert grassroots["all_grassroots"] is True
    assert "county level or below" in grassroots["definition"]
    assert Decimal(livelihood["planned"]) == Decimal("0.6")
    assert Decimal(livelihood["disbursed"]) == Decimal("0.4")
    assert Decimal(livelihood["expected"]) == Decimal("0.8")
    assert livelihood["by_period"] == [
        {"period": "14th", "planned": livelihood["planned"], "disbursed": livelihood["disbursed"]}
    ]
    assert [row["year"] for row in livelihood["by_year"]] == [2024]
    assert Decimal(livelihood["by_year"][0]["due"]) == Decimal("0.75")
    assert "livelihood field" in livelihood["definition"]


def test_a_partner_key_gets_the_shares_of_its_own_projects(small):
    programme, _district, _township, development = small
    organisation = OrganisationFactory()
    Participant.objects.create(project=development, organisation=organisation, role="implementing")
    # Nothing is published: the key sees its own project (planned 400, no place, development),
    # and not the livelihood project in the township (planned 600).
    for project in Project.objects.all():
        project.published = False
        project.save()  # through the rollups' signals, as the admin saves it
    raw = issue_api_key(organisation=organisation, name="reader")[1]

    summary = "/api/v1/funding/summary/"
    data = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(summary, {"programme": programme.code})
    data = data.json()

    assert Decimal(data["planned"]) == Decimal("400")
    assert Decimal(data["livelihood_share"]["planned"]) == 0
    assert Decimal(data["grassroots_share"]["planned"]) == 1
    assert Decimal(Client().get(summary, {"programme": programme.code}).json()["planned"]) == 0


def text_of(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize("url", ["/en/funding/", "/en/"])
def test_the_pages_show_the_shares_with_their_definitions(small, url):
    page = text_of(Client().get(url))

    assert re.search(r'data-stat="livelihood-share".*?60\.0%', page)
    assert re.search(r'data-stat="grassroots-share".*?100\.0%', page)
    assert "40.0% of the funds disbursed" in page
    assert "Funds for projects in the livelihood field" in page
    assert "100% by definition" in page
    assert "at least 80.0%" in page


def test_the_funding_page_gives_the_shares_per_plan_period_and_year_in_chinese(small):
    page = text_of(Client().get("/funding/"))

    assert "基层投入占比" in page
    assert "按定义即为100%" in page
    assert re.search(r'data-table="shares-by-year".*?data-share-year="2024".*?75\.0%', page)


def test_the_demos_shares_equal_the_sums_of_its_projects(demo_data):
    programme = Programme.objects.get(code="hangzhou-seni")
    projects = Project.objects.filter(programme=programme, published=True)
    planned = sum(project.planned_investment for project in projects)
    livelihood = sum(
        project.planned_investment
        for project in projects
        if project.field == Project.Field.LIVELIHOOD
    )

    shares = shares_of(programme)

    assert shares.overall.livelihood_planned == selectors.Share(part=livelihood, total=planned)
    # Seni is a county-level district: every project is at or below county level.
    assert shares.overall.grassroots_planned.rate == 1
    assert shares.all_grassroots
    page = text_of(Client().get("/en/funding/"))
    assert "100% by definition: it reflects where the partner is, not a choice" in page
    assert "rest on an illustrative split" in page
