"""Partner keys and the ledger (issue 10): only a key granted `funding:entries` posts money,
only for its organisation's role in the project; large arrivals wait for a second person;
partner notes stay private until staff publish them; every date is bounded."""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from api.capabilities import (
    EDUCATION_RESULTS,
    FUNDING_ENTRIES,
    MEDICAL_CLAIM,
    UPDATES_WRITE,
)
from api.keys import issue_api_key
from funding import services
from funding.models import LedgerEntry, ProjectFunding
from projects.models import Participant
from tests.factories import OrganisationFactory, ParticipantFactory, ProjectFactory

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/funding/entries/"
SUMMARY = "/api/v1/funding/summary/"
COMMITMENT = LedgerEntry.Type.INCOMING_COMMITMENT
ARRIVAL = LedgerEntry.Type.INCOMING_FUNDS
DISBURSEMENT = LedgerEntry.Type.DISBURSEMENT
EXPENDITURE = LedgerEntry.Type.EXPENDITURE
DAY = "2024-05-01"


def staff(username: str, *perms: str) -> User:
    user = User.objects.create_user(username, is_staff=True)
    for perm in perms:
        user.user_permissions.add(Permission.objects.get(codename=perm))
    return User.objects.get(pk=user.pk)


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")


def post(client, **body):
    body = {"project": "HZ-P", "type": ARRIVAL, "date": DAY, "amount": "1000.00", **body}
    return client.post(ENTRIES, body, content_type="application/json")


def totals(project) -> ProjectFunding:
    return ProjectFunding.objects.get_or_create(project=project)[0]


def assert_ledger_is_clean():
    out = io.StringIO()
    call_command("check_ledger", stdout=out)  # exits 1 (SystemExit) on any difference


@pytest.fixture
def world(db):
    project = ProjectFactory(code="HZ-P", published=True)
    approver = staff("approver", "approve_disbursement", "view_ledgerentry", "add_ledgerentry")
    parties, keys = {}, {}
    for role in Participant.Role.values:
        organisation = OrganisationFactory(code=f"org-{role}")
        ParticipantFactory(project=project, organisation=organisation, role=role)
        parties[role] = organisation
        keys[role] = bearer(
            issue_api_key(
                organisation=organisation,
                name=role,
                capabilities=[FUNDING_ENTRIES],
                granted_by=approver,
            )[1]
        )
    # The partner school: takes part, and holds every capability but funding:entries.
    school = OrganisationFactory(code="school")
    ParticipantFactory(project=project, organisation=school, role=Participant.Role.IMPLEMENTING)
    keys["school"] = bearer(
        issue_api_key(
            organisation=school,
            name="school",
            capabilities=[UPDATES_WRITE, MEDICAL_CLAIM, EDUCATION_RESULTS],
        )[1]
    )
    return project, parties, keys, approver


def test_the_school_key_cannot_post_an_arrival_to_the_public_totals(world):
    project, _parties, keys, _approver = world

    response = post(keys["school"], amount="6000000.00")

    assert response.status_code == 403
    assert response.json()["type"] == "/api/v1/problems/missing-capability"
    assert response.json()["capability"] == FUNDING_ENTRIES
    assert not LedgerEntry.objects.exists()
    assert Client().get(SUMMARY).json()["arrived"] == "0.00"


# (role, type, status, the side its organisation lands on)
ROLE_MATRIX = [
    ("funding", COMMITMENT, 201, "provider"),
    ("funding", ARRIVAL, 201, "provider"),
    ("funding", DISBURSEMENT, 400, None),
    ("funding", EXPENDITURE, 400, None),
    ("accountable", COMMITMENT, 400, None),
    ("accountable", ARRIVAL, 201, "receiver"),
    ("accountable", DISBURSEMENT, 201, "provider"),
    ("accountable", EXPENDITURE, 400, None),
    ("implementing", COMMITMENT, 400, None),
    ("implementing", ARRIVAL, 400, None),
    ("implementing", DISBURSEMENT, 201, "receiver"),
    ("implementing", EXPENDITURE, 201, "provider"),
]


@pytest.mark.parametrize("role,type,status,side", ROLE_MATRIX)
def test_a_key_posts_only_for_its_organisations_role(world, role, type, status, side):
    project, parties, keys, _approver = world
    services.record_entry(
        project=project, type=ARRIVAL, date=datetime.date(2024, 1, 2), amount=5000
    )
    before = LedgerEntry.objects.count()

    response = post(keys[role], type=type)

    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()[side] == parties[role].code
    else:
        assert list(response.json()["errors"]) == ["type"]
        assert LedgerEntry.objects.count() == before


def test_a_key_records_only_its_own_side(world):
    project, parties, keys, _approver = world

    response = post(keys["funding"], provider=parties["accountable"].code)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["provider"]
    assert not LedgerEntry.objects.exists()
    # Naming the other side is allowed: who it paid.
    paid = post(keys["funding"], receiver=parties["accountable"].code)
    assert paid.status_code == 201, paid.content
    assert (paid.json()["provider"], paid.json()["receiver"]) == (
        parties["funding"].code,
        parties["accountable"].code,
    )


def test_a_large_arrival_counts_only_once_a_second_person_approves_it(world, settings):
    settings.FUNDING_APPROVAL_THRESHOLD = "5000000"
    project, _parties, keys, approver = world
    project.planned_investment = Decimal("10000000")
    project.save()

    response = post(keys["accountable"], amount="6000000.00")

    assert response.status_code == 201, response.content
    assert response.json()["needs_approval"] is True and response.json()["approved"] is False
    assert Client().get(SUMMARY).json()["arrived"] == "0.00"
    assert totals(project).arrived == 0
    # Nor does it cover a disbursement while it waits.
    refused = post(keys["accountable"], type=DISBURSEMENT, amount="1000.00")
    assert refused.status_code == 409
    assert_ledger_is_clean()

    services.approve_disbursement(
        entry=LedgerEntry.objects.get(pk=response.json()["id"]), approved_by=approver
    )

    assert Client().get(SUMMARY).json()["arrived"] == "6000000.00"
    assert post(keys["accountable"], type=DISBURSEMENT, amount="1000.00").status_code == 201
    assert_ledger_is_clean()


def test_staff_large_arrivals_wait_too_and_reversing_one_unapproved_changes_no_total(
    world, settings
):
    settings.FUNDING_APPROVAL_THRESHOLD = "100"
    project, _parties, _keys, approver = world

    arrival = services.record_entry(
        project=project, type=ARRIVAL, date=datetime.date(2024, 1, 2), amount=Decimal("101")
    )
    small = services.record_entry(
        project=project, type=ARRIVAL, date=datetime.date(2024, 1, 2), amount=Decimal("100")
    )

    assert arrival.needs_approval and not small.needs_approval
    assert (totals(project).arrived, totals(project).pending) == (Decimal("100"), 0)
    services.reverse_entry(entry=arrival, reason="录重了", recorded_by=approver)
    assert (totals(project).arrived, totals(project).pending) == (Decimal("100"), 0)
    assert_ledger_is_clean()


def test_a_partner_note_is_private_until_staff_publish_it(world):
    project, parties, keys, approver = world
    posted = post(keys["funding"], note="内部：经办人张三 13800000000").json()
    services.record_entry(
        project=project,
        type=ARRIVAL,
        date=datetime.date(2024, 1, 2),
        amount=Decimal("1"),
        note="财务处登记",
        recorded_by=approver,
    )

    def notes(client):
        return {row["note"] for row in client.get(ENTRIES).json()["results"]}

    assert notes(Client()) == {"", "财务处登记"}
    assert notes(keys["accountable"]) == {"", "财务处登记"}
    assert notes(keys["funding"]) == {"内部：经办人张三 13800000000", "财务处登记"}
    staff_client = Client()
    staff_client.force_login(approver)
    assert "内部：经办人张三 13800000000" in notes(staff_client)

    publisher = staff("publisher", "publish_entry_note")
    services.publish_note(entry=LedgerEntry.objects.get(pk=posted["id"]), published_by=publisher)

    assert notes(Client()) == {"内部：经办人张三 13800000000", "财务处登记"}


def test_only_staff_with_the_permission_publish_a_note(world):
    _project, _parties, keys, approver = world
    entry = LedgerEntry.objects.get(pk=post(keys["funding"], note="x").json()["id"])

    with translation.override("en"), pytest.raises(ValidationError, match="Only finance staff"):
        services.publish_note(entry=entry, published_by=staff("clerk"))

    assert Client().get(ENTRIES).json()["results"][0]["note"] == ""


@pytest.mark.parametrize(
    "type,date",
    [
        (ARRIVAL, "9999-12-31"),
        (ARRIVAL, "1295-11-30"),
        (ARRIVAL, "tomorrow"),
        (COMMITMENT, "beyond the horizon"),
        (COMMITMENT, "1295-11-30"),
    ],
)
def test_a_date_out_of_range_is_a_400_on_the_date_and_writes_nothing(world, settings, type, date):
    settings.FUNDING_COMMITMENT_HORIZON_DAYS = 365
    _project, _parties, keys, approver = world
    today = timezone.localdate()
    date = {
        "tomorrow": today + datetime.timedelta(days=1),
        "beyond the horizon": today + datetime.timedelta(days=366),
    }.get(date, date)
    finance = Client(HTTP_ACCEPT_LANGUAGE="en")
    finance.force_login(approver)

    for client in (keys["funding"], finance):
        response = post(client, type=type, date=str(date))
        assert response.status_code == 400, response.content
        assert response["Content-Type"] == "application/problem+json"
        assert list(response.json()["errors"]) == ["date"]
    assert not LedgerEntry.objects.exists()
    assert "9999" not in Client().get("/en/funding/").content.decode()


def test_a_commitment_may_be_dated_within_the_horizon(world, settings):
    settings.FUNDING_COMMITMENT_HORIZON_DAYS = 365
    _project, _parties, keys, _approver = world
    ahead = timezone.localdate() + datetime.timedelta(days=365)

    assert post(keys["funding"], type=COMMITMENT, date=str(ahead)).status_code == 201
    assert post(keys["funding"], type=ARRIVAL, date=str(timezone.localdate())).status_code == 201


def test_the_programme_start_bounds_the_dates(world):
    project, _parties, keys, _approver = world
    project.programme.started_on = datetime.date(2020, 1, 1)
    project.programme.save()

    before = post(keys["funding"], date="2019-12-31")

    assert before.status_code == 400
    assert "2020-01-01" in before.json()["errors"]["date"][0]
    assert post(keys["funding"], date="2020-01-01").status_code == 201
