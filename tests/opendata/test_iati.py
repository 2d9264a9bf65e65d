"""The IATI 2.03 export, checked against the official schemas and codelists vendored in
tests/opendata/iati/ and against the Standard's rules that the schema cannot express."""

import datetime
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree

from funding import services
from funding.models import BudgetLine, LedgerEntry, ProjectFunding
from projects.models import Participant, Project
from reference.selectors import default_programme
from tests.factories import (
    IndicatorFactory,
    MilestoneFactory,
    OrganisationFactory,
    ParticipantFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

IATI = Path(__file__).parent / "iati"
REF = "XI-IATI-AIDPORTAL-DEMO"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ARRIVAL = LedgerEntry.Type.INCOMING_FUNDS
DISBURSEMENT = LedgerEntry.Type.DISBURSEMENT


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(IATI / "2.03" / name)))


def fetch(client, url: str) -> etree._ElementTree:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    return etree.ElementTree(etree.fromstring(response.content))


def activities(document) -> dict[str, etree._Element]:
    return {a.findtext("iati-identifier"): a for a in document.getroot().iter("iati-activity")}


def iso(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


def codelist(name: str) -> set[str]:
    path = IATI / "codelists" / f"{name}.xml"
    assert path.exists(), f"the export uses the {name} codelist: vendor {name}.xml (README)"
    return {code.text for code in etree.parse(str(path)).iter("code")}


def coded_values(document) -> list[tuple[str, str, str]]:
    """(codelist, path, value) for every value mapping.xml ties to a codelist, conditions
    (such as a sector's vocabulary) included."""
    mappings = etree.parse(str(IATI / "codelists" / "mapping.xml"))
    found = []
    for mapping in mappings.iter("mapping"):
        path, condition = mapping.findtext("path"), mapping.findtext("condition")
        for value in document.xpath(path):
            if condition and not value.getparent().xpath(condition):
                continue
            found.append((mapping.find("codelist").get("ref"), path, str(value)))
    return found


@pytest.fixture
def demo(demo_data):
    """The demo as `load_demo` writes it (loaded once per test process)."""


@pytest.fixture
def demo_export(demo, client):
    return fetch(client, "/iati/activities.xml")


def check_schema_and_codelists(document, schema_name: str) -> None:
    schema(schema_name).assertValid(document)
    codes = coded_values(document)
    assert codes
    for name, path, value in codes:
        assert value in codelist(name), f"{path}={value!r} is not in {name}"


def check_rules(document) -> None:
    """The Standard's rules that the schema cannot express."""
    today = timezone.localdate()
    for identifier, activity in activities(document).items():
        assert identifier.startswith(f"{REF}-")
        reporting = activity.findall("reporting-org")
        assert len(reporting) == 1 and reporting[0].get("ref") == REF

        dates = {d.get("type"): iso(d.get("iso-date")) for d in activity.iter("activity-date")}
        assert "1" in dates or "2" in dates, identifier
        for start, end in (("1", "3"), ("2", "4")):
            if start in dates and end in dates:
                assert dates[start] <= dates[end], identifier
        for actual in ("2", "4"):
            assert dates.get(actual, today) <= today, identifier

        shares = defaultdict(Decimal)
        for sector in activity.iter("sector"):
            shares[sector.get("vocabulary")] += Decimal(sector.get("percentage"))
        assert shares and all(total == 100 for total in shares.values()), identifier
        countries = activity.findall("recipient-country")
        assert sum(Decimal(c.get("percentage")) for c in countries) == 100

        for transaction in activity.iter("transaction"):
            assert iso(transaction.find("transaction-date").get("iso-date")) <= today
            assert iso(transaction.find("value").get("value-date")) <= today

        for element in [*activity.iter("budget"), *activity.iter("period")]:
            start = iso(element.find("period-start").get("iso-date"))
            end = iso(element.find("period-end").get("iso-date"))
            assert start <= end, identifier
            if element.tag == "budget":
                assert (end - start).days < 366, identifier

        assert datetime.datetime.fromisoformat(activity.get("last-updated-datetime"))


def check_transactions_match_the_totals(document) -> None:
    """Every transaction is one the running totals count, each under its IATI type."""
    for identifier, activity in activities(document).items():
        code = identifier.removeprefix(f"{REF}-")
        sums = defaultdict(Decimal)
        for transaction in activity.iter("transaction"):
            sums[transaction.find("transaction-type").get("code")] += Decimal(
                transaction.findtext("value")
            )
        totals = ProjectFunding.objects.filter(project__code=code).first()
        expected = {
            "11": totals.committed if totals else 0,
            "1": totals.arrived if totals else 0,
            "3": totals.disbursed if totals else 0,
            "4": totals.spent if totals else 0,
        }
        assert {key: sums.get(key, 0) for key in expected} == expected, code


def check_project(document) -> None:
    project = Project.objects.get(code="HZSN-14-01")
    activity = activities(document)[f"{REF}-HZSN-14-01"]
    titles = {n.get(XML_LANG): n.text for n in activity.find("title")}
    assert titles == {"zh": project.title_zh_hans, "en": project.title_en}
    assert activity.find("activity-status").get("code") == "3"  # finalisation
    assert {p.get("role") for p in activity.iter("participating-org")} == {"1", "2", "4"}
    assert activity.find("sector[@vocabulary='1']").get("code") == "43040"  # rural development
    indicator = project.indicators.get()
    period = activity.find("result/indicator/period")
    assert Decimal(period.find("target").get("value")) == indicator.target
    assert Decimal(period.find("actual").get("value")) == indicator.actual
    baseline = activity.find("result/indicator/baseline")
    assert Decimal(baseline.get("value")) == indicator.baseline
    assert len(activity.findall("budget")) == BudgetLine.objects.filter(project=project).count()
    located = [a for a in activities(document).values() if a.find("location/point") is not None]
    latitude, longitude = located[0].findtext("location/point/pos").split()
    assert -90 <= float(latitude) <= 90 and -180 <= float(longitude) <= 180


def test_the_demo_export(demo_export, client):
    """Valid against the schema and the codelists, true to the Standard's other rules and to
    the ledger, every published project of the programme and nothing else, the same bytes
    for the same data; each project also has a file of its own."""
    check_schema_and_codelists(demo_export, "iati-activities-schema.xsd")
    used = {name for name, _path, _value in coded_values(demo_export)}
    assert {"Sector", "TransactionType", "OrganisationRole", "OrganisationType"} <= used
    check_rules(demo_export)
    check_transactions_match_the_totals(demo_export)
    check_project(demo_export)
    published = Project.objects.filter(published=True, programme=default_programme())
    assert len(published) == 19
    assert set(activities(demo_export)) == {f"{REF}-{p.code}" for p in published}
    first = client.get("/iati/activities.xml").content
    assert first == client.get("/iati/activities.xml").content
    assert first.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")

    one = fetch(client, "/projects/HZSN-14-09/iati.xml")
    schema("iati-activities-schema.xsd").assertValid(one)
    assert list(activities(one)) == [f"{REF}-HZSN-14-09"]

    hidden = ProjectFactory(programme=default_programme(), published=False, code="HIDDEN-1")
    IndicatorFactory(project=hidden)
    services.record_entry(
        project=hidden, type=ARRIVAL, date=datetime.date(2024, 1, 5), amount=Decimal("10")
    )
    assert client.get("/projects/HIDDEN-1/iati.xml").status_code == 404
    assert client.get("/projects/NO-SUCH/iati.xml").status_code == 404
    assert b"HIDDEN-1" not in client.get("/iati/activities.xml").content


def test_the_demo_organisation_file(demo, client):
    """Valid, one reporting organisation, and per year what the published projects are due
    (their budget lines, the revised one where there is one), in total and for China."""
    document = fetch(client, "/iati/organisation.xml")
    check_schema_and_codelists(document, "iati-organisations-schema.xsd")
    organisation = document.getroot().find("iati-organisation")
    assert organisation.findtext("organisation-identifier") == REF
    assert organisation.find("reporting-org").get("ref") == REF
    lines = {}
    for line in BudgetLine.objects.filter(project__published=True).order_by("kind"):
        # "original" sorts before "revised", so a revised line replaces the original.
        lines[line.project_id, line.year] = line
    due = defaultdict(Decimal)
    for (_project, year), line in lines.items():
        due[str(year)] += line.amount
    for tag in ("total-budget", "recipient-country-budget"):
        by_year = {
            b.find("period-start").get("iso-date")[:4]: Decimal(b.findtext("value"))
            for b in organisation.iter(tag)
        }
        assert by_year == {year: amount for year, amount in due.items() if amount}
    assert organisation.find("recipient-country-budget/recipient-country").get("code") == "CN"


def staff(username, *perms):
    user = User.objects.create_user(username, is_staff=True)
    for perm in perms:
        user.user_permissions.add(Permission.objects.get(codename=perm))
    return User.objects.get(pk=user.pk)


def transactions(client, code: str) -> list[tuple[str, str, Decimal]]:
    document = fetch(client, f"/projects/{code}/iati.xml")
    schema("iati-activities-schema.xsd").assertValid(document)
    return [
        (
            t.find("transaction-type").get("code"),
            t.find("transaction-date").get("iso-date"),
            Decimal(t.findtext("value")),
        )
        for t in document.getroot().iter("transaction")
    ]


def test_reversals_net_out_and_entries_awaiting_approval_do_not_appear(client, settings):
    settings.FUNDING_APPROVAL_THRESHOLD = "1000"
    project = ProjectFactory()
    day = datetime.date(2024, 3, 1)

    def record(type, amount, **kwargs):
        return services.record_entry(
            project=project, type=type, date=day, amount=Decimal(amount), **kwargs
        )

    record(ARRIVAL, "900")
    wrong = record(DISBURSEMENT, "300")
    services.reverse_entry(entry=wrong, reason="typo", recorded_by=staff("clerk"))
    record(DISBURSEMENT, "200")
    record(LedgerEntry.Type.EXPENDITURE, "150")
    waiting = record(ARRIVAL, "5000", recorded_by=staff("poster"))
    approved = record(ARRIVAL, "2000", recorded_by=staff("poster2"))
    services.approve_disbursement(
        entry=approved, approved_by=staff("approver", "approve_disbursement")
    )

    assert transactions(client, project.code) == [
        ("1", "2024-03-01", Decimal("900")),
        ("3", "2024-03-01", Decimal("200")),
        ("4", "2024-03-01", Decimal("150")),
        ("1", "2024-03-01", Decimal("2000")),
    ]
    assert waiting.amount not in {value for _t, _d, value in transactions(client, project.code)}


def test_a_commitment_dated_ahead_is_reported_on_the_day_it_was_recorded(client):
    project = ProjectFactory()
    ahead = timezone.localdate() + datetime.timedelta(days=400)
    services.record_entry(
        project=project,
        type=LedgerEntry.Type.INCOMING_COMMITMENT,
        date=ahead,
        amount=Decimal("5000"),
    )

    assert transactions(client, project.code) == [
        ("11", timezone.localdate().isoformat(), Decimal("5000"))
    ]


def test_a_programme_is_chosen_by_code_else_the_default_one(client):
    first = ProjectFactory(code="FIRST-1", programme__code="a-programme")
    other = ProjectFactory(code="OTHER-1", programme__code="b-programme")

    assert list(activities(fetch(client, "/iati/activities.xml"))) == [f"{REF}-{first.code}"]
    document = fetch(client, f"/iati/activities.xml?programme={other.programme.code}")
    assert list(activities(document)) == [f"{REF}-OTHER-1"]
    assert client.get("/iati/activities.xml?programme=nope").status_code == 404


def test_last_updated_follows_the_records_not_the_clock(client):
    project = ProjectFactory()
    indicator = IndicatorFactory(project=project)
    before = fetch(client, f"/projects/{project.code}/iati.xml").getroot()
    stamp = before.find("iati-activity").get("last-updated-datetime")
    assert before.get("generated-datetime") == stamp

    indicator.actual = Decimal("60")
    indicator.save()

    after = fetch(client, f"/projects/{project.code}/iati.xml").getroot()
    changed = after.find("iati-activity").get("last-updated-datetime")
    assert datetime.datetime.fromisoformat(changed) > datetime.datetime.fromisoformat(stamp)
    assert changed == indicator.history.latest().history_date.isoformat()


def test_the_reporting_organisation_and_sectors_are_configurable(client, settings):
    settings.IATI_REPORTING_ORG_REF = "CN-USCI-11330100002500000X"
    settings.IATI_SECTORS = {"rural": "43072", "development/governance": "15185"}
    rural = ProjectFactory(code="RURAL", category=Project.Category.RURAL)
    kinds = {"programme": rural.programme, "category": Project.Category.GOVERNANCE}
    ProjectFactory(code="GOV-DEV", field=Project.Field.DEVELOPMENT, **kinds)
    ProjectFactory(code="GOV-INT", field=Project.Field.INTEGRATION, **kinds)

    found = activities(fetch(client, "/iati/activities.xml"))

    def dac(code):
        activity = found[f"CN-USCI-11330100002500000X-{code}"]
        assert activity.find("reporting-org").get("ref") == "CN-USCI-11330100002500000X"
        return activity.find("sector[@vocabulary='1']").get("code")

    assert dac("RURAL") == "43072"
    assert dac("GOV-DEV") == "15185"
    assert dac("GOV-INT") == "15110"  # the category's default: only development was changed


def test_without_a_reporting_identifier_there_is_no_export(client, settings):
    settings.IATI_REPORTING_ORG_REF = ""
    project = ProjectFactory()
    for url in (
        "/iati/activities.xml",
        "/iati/organisation.xml",
        f"/projects/{project.code}/iati.xml",
    ):
        assert client.get(url).status_code == 404


def test_a_project_without_participants_is_funded_by_the_programme_s_donor(client):
    project = ProjectFactory()
    document = fetch(client, f"/projects/{project.code}/iati.xml")
    schema("iati-activities-schema.xsd").assertValid(document)
    (participant,) = document.getroot().iter("participating-org")
    assert participant.get("role") == "1"
    assert participant.find("narrative").text == project.programme.donor.name_zh_hans


def _add_projects(count: int) -> None:
    programme = default_programme()
    for _ in range(count):
        project = ProjectFactory(programme=programme, planned_start=datetime.date(2023, 1, 1))
        ParticipantFactory(project=project, role=Participant.Role.FUNDING)
        ParticipantFactory(
            project=project, organisation=OrganisationFactory(), role=Participant.Role.IMPLEMENTING
        )
        MilestoneFactory(project=project)
        IndicatorFactory(project=project)
        BudgetLine.objects.create(project=project, year=2023, amount=Decimal("100"))
        services.record_entry(
            project=project, type=ARRIVAL, date=datetime.date(2023, 5, 1), amount=Decimal("50")
        )


def _export_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/iati/activities.xml").status_code == 200
    return len(queries)


def test_the_export_makes_the_same_number_of_queries_for_more_projects(demo, client):
    demo_queries = _export_queries(client)
    _add_projects(15)
    assert _export_queries(client) == demo_queries
    assert demo_queries <= 10
