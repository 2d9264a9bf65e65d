"""The funding API: ledger entries (cursor pages, posting through the service, reversals),
figures from funding.selectors, and donations — and who may see and do what."""

import datetime
import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from api.capabilities import FUNDING_ENTRIES
from api.keys import issue_api_key
from api.models import AuditEntry
from funding import selectors, services
from funding.models import BudgetLine, Donation, LedgerEntry, ProjectFunding
from tests.api_utils import assert_constant_queries, assert_each_row_is_its_own_page
from tests.factories import OrganisationFactory, ParticipantFactory, ProjectFactory

pytestmark = pytest.mark.django_db

ENTRIES = "/api/v1/funding/entries/"
SUMMARY = "/api/v1/funding/summary/"
DONATIONS = "/api/v1/funding/donations/"
ARRIVAL = LedgerEntry.Type.INCOMING_FUNDS
DISBURSEMENT = LedgerEntry.Type.DISBURSEMENT
DAY = datetime.date(2024, 3, 1)


def record(project, type, amount, date=DAY, **kwargs) -> LedgerEntry:
    return services.record_entry(
        project=project, type=type, date=date, amount=Decimal(amount), **kwargs
    )


def staff(username: str, *perms: str) -> User:
    user = User.objects.create_user(username, is_staff=True)
    for perm in perms:
        user.user_permissions.add(Permission.objects.get(codename=perm))
    return User.objects.get(pk=user.pk)  # a fresh permission cache


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


@dataclass
class World:
    org_a: object
    org_b: object
    public: object  # published; organisation A takes part
    hidden: object  # unpublished; organisation A takes part
    secret: object  # unpublished; nobody's key takes part
    callers: dict


@pytest.fixture
def world(db):
    org_a = OrganisationFactory(code="seni-housing")
    org_b = OrganisationFactory(code="other-hospital")
    public = ProjectFactory(code="HZ-PUB", planned_investment=Decimal("410050000"))
    hidden = ProjectFactory(code="HZ-HID", published=False)
    secret = ProjectFactory(code="HZ-SEC", published=False)
    for project in (public, hidden):
        # The accountable party: it may record arrivals it received and its disbursements.
        ParticipantFactory(project=project, organisation=org_a, role="accountable")
    finance = staff(
        "finance",
        "view_ledgerentry",
        "add_ledgerentry",
        "record_beyond_arrivals",
        "view_donation",
    )
    approver = staff("approver", "approve_disbursement")

    def ledger_key(organisation, name):
        return issue_api_key(
            organisation=organisation,
            name=name,
            capabilities=[FUNDING_ENTRIES],
            granted_by=approver,
        )[1]

    callers = {
        "anonymous": Client(),
        "key_a": bearer(ledger_key(org_a, "A")),
        "key_a_read": bearer(issue_api_key(organisation=org_a, name="A read")[1]),
        "key_b": bearer(ledger_key(org_b, "B")),
        "finance": signed_in(finance),
        "staff_no_role": signed_in(staff("newcomer")),
    }
    return World(org_a, org_b, public, hidden, secret, callers)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def walk(client, url: str, params: dict, link: str = "next") -> list[dict]:
    rows, response = [], client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        rows.extend(body["results"] if link == "next" else reversed(body["results"]))
        if not body[link]:
            return rows
        response = client.get(body[link])


# -- reading entries ---------------------------------------------------------------------------


def test_an_entry_carries_everything_a_partner_system_needs(world, settings):
    provider, receiver = OrganisationFactory(code="hz-finance"), world.org_a
    record(world.public, ARRIVAL, "1000.10", provider=provider, receiver=receiver, voucher="V-1")
    settings.FUNDING_APPROVAL_THRESHOLD = "500"
    big = record(world.public, DISBURSEMENT, "800", note="第一笔")
    reversal = services.reverse_entry(entry=big, reason="凭证号录错")

    rows = {row["id"]: row for row in world.callers["anonymous"].get(ENTRIES).json()["results"]}

    arrival = next(row for row in rows.values() if row["type"] == ARRIVAL)
    assert arrival["amount"] == "1000.10" and arrival["currency"] == "CNY"
    assert arrival["iati_code"] == "1" and arrival["project"] == "HZ-PUB"
    assert (arrival["provider"], arrival["receiver"]) == ("hz-finance", "seni-housing")
    assert arrival["voucher"] == "V-1" and arrival["reverses"] is None
    assert arrival["url"].endswith(f"{ENTRIES}{arrival['id']}/")
    assert rows[big.pk]["needs_approval"] is True and rows[big.pk]["approved"] is False
    assert rows[big.pk]["approved_at"] is None and rows[big.pk]["iati_code"] == "3"
    assert rows[big.pk]["reversed_by"] == reversal.pk
    assert rows[reversal.pk]["reverses"] == big.pk
    assert rows[reversal.pk]["reason"] == "凭证号录错"
    english = world.callers["anonymous"].get(ENTRIES, HTTP_ACCEPT_LANGUAGE="en").json()
    assert {row["type_label"] for row in english["results"]} == {"Funds arrived", "Disbursement"}


def test_an_approved_disbursement_says_when(world, settings):
    record(world.public, ARRIVAL, "1000")
    settings.FUNDING_APPROVAL_THRESHOLD = "500"
    entry = record(world.public, DISBURSEMENT, "800")
    approval = services.approve_disbursement(
        entry=entry, approved_by=staff("chief", "approve_disbursement")
    )

    row = world.callers["anonymous"].get(f"{ENTRIES}{entry.pk}/").json()

    assert row["approved"] is True
    assert datetime.datetime.fromisoformat(row["approved_at"]) == approval.approved_at


def test_each_caller_reads_a_row_in_the_list_as_its_own_page_writes_it(world, settings):
    # The list writes its rows from columns; an entry's page through the serializer. Every kind
    # of row: approved or waiting, reversed and reversing, with and without organisations, a
    # partner's note before and after staff publish it.
    settings.FUNDING_APPROVAL_THRESHOLD = "500"
    provider = OrganisationFactory(code="hz-finance")
    chief = staff("chief", "approve_disbursement")
    arrival = record(world.public, ARRIVAL, "5000.50", provider=provider, receiver=world.org_a)
    services.approve_disbursement(entry=arrival, approved_by=chief)
    approved = record(world.public, DISBURSEMENT, "800", note="第一笔", voucher="V-2")
    services.approve_disbursement(entry=approved, approved_by=chief)
    waiting = record(world.public, DISBURSEMENT, "900")
    services.reverse_entry(entry=waiting, reason="凭证号录错")
    key_a = world.org_a.api_keys.first()
    noted = record(world.public, DISBURSEMENT, "10", note="经办人电话", recorded_by_key=key_a)
    record(world.hidden, ARRIVAL, "20", note="未公开项目")

    def compare():
        for name, client in world.callers.items():
            for language in ("en", "zh-hans"):
                rows = client.get(ENTRIES, {"page_size": 50}, HTTP_ACCEPT_LANGUAGE=language)
                assert rows.status_code == 200, (name, rows.content)
                for row in rows.json()["results"]:
                    detail = client.get(f"{ENTRIES}{row['id']}/", HTTP_ACCEPT_LANGUAGE=language)
                    assert row == detail.json(), (name, language, row["id"])
            # Pages of two, forwards: the cursors are read from the rows' columns.
            assert walk(client, ENTRIES, {"page_size": 2}) == rows.json()["results"], name

    compare()
    services.publish_note(entry=noted, published_by=staff("publisher", "publish_entry_note"))
    compare()


def test_filters(world):
    provider = OrganisationFactory(code="hz-finance")
    other = ProjectFactory(code="HZ-OTHER")
    arrival = record(world.public, ARRIVAL, "1000", date=datetime.date(2023, 5, 1))
    paid = record(world.public, DISBURSEMENT, "300", date=datetime.date(2024, 2, 1))
    from_hz = record(other, ARRIVAL, "50", date=datetime.date(2024, 6, 30), provider=provider)
    to_a = record(other, ARRIVAL, "60", date=datetime.date(2024, 7, 1), receiver=world.org_a)
    client = world.callers["anonymous"]

    assert ids(client.get(ENTRIES, {"project": "HZ-PUB"})) == {arrival.pk, paid.pk}
    assert ids(client.get(ENTRIES, {"type": DISBURSEMENT})) == {paid.pk}
    assert ids(client.get(ENTRIES, {"year": 2023})) == {arrival.pk}
    assert ids(client.get(ENTRIES, {"date_from": "2024-02-01", "date_to": "2024-06-30"})) == {
        paid.pk,
        from_hz.pk,
    }
    assert ids(client.get(ENTRIES, {"organisation": "hz-finance"})) == {from_hz.pk}
    assert ids(client.get(ENTRIES, {"organisation": "seni-housing"})) == {to_a.pk}
    assert ids(client.get(ENTRIES, {"project": "HZ-OTHER", "type": ARRIVAL, "year": 2024})) == {
        from_hz.pk,
        to_a.pk,
    }
    for bad in ({"type": "loan"}, {"year": "2024.5"}, {"date_from": "2024-02-30"}):
        response = client.get(ENTRIES, bad)
        assert response.status_code == 400, bad
        assert response["Content-Type"] == "application/problem+json"


def test_recorded_since_returns_what_was_posted_after_a_moment(world):
    record(world.public, ARRIVAL, "1000")
    moment = LedgerEntry.objects.get().recorded_at + datetime.timedelta(microseconds=1)
    later = record(world.public, DISBURSEMENT, "10", date=datetime.date(2020, 1, 1))

    response = world.callers["anonymous"].get(ENTRIES, {"recorded_since": moment.isoformat()})

    assert ids(response) == {later.pk}


def test_cursor_pages_walk_every_entry_once_without_counting(world):
    dates = itertools.cycle([datetime.date(2024, 1, 1), DAY, DAY, datetime.date(2023, 12, 31)])
    for _ in range(23):  # many share a date: the cursor must break ties by id
        record(world.public, ARRIVAL, "1", date=next(dates))
    expected = list(LedgerEntry.objects.order_by("-date", "-id").values_list("pk", flat=True))
    client = world.callers["anonymous"]

    with CaptureQueriesContext(connection) as captured:
        forwards = walk(client, ENTRIES, {"page_size": 5})
    assert [row["id"] for row in forwards] == expected
    assert not [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()]
    assert not [q["sql"] for q in captured if "OFFSET" in q["sql"].upper()]

    last_page = client.get(ENTRIES, {"page_size": 5})
    while last_page.json()["next"]:
        last_page = client.get(last_page.json()["next"])
    backwards = walk(client, last_page.json()["previous"], {}, link="previous")
    oldest_first = [row["id"] for row in reversed(last_page.json()["results"])] + [
        row["id"] for row in backwards
    ]
    assert oldest_first == list(reversed(expected))


def test_a_cursor_that_was_never_issued_is_a_400_naming_it(world):
    response = world.callers["anonymous"].get(ENTRIES, {"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert list(response.json()["errors"]) == ["cursor"]


@pytest.mark.parametrize("caller", ["anonymous", "key_a", "finance"])
def test_a_page_costs_the_same_queries_at_10_and_100_entries(
    world, caller, settings, django_assert_max_num_queries
):
    approver = staff("chief", "approve_disbursement")
    provider = OrganisationFactory(code="hz-finance")
    record(world.public, ARRIVAL, "100000", provider=provider, receiver=world.org_a)
    settings.FUNDING_APPROVAL_THRESHOLD = "1"  # every disbursement joins its approval

    def grow(n: int) -> None:
        while LedgerEntry.objects.count() < n:
            entry = record(world.public, DISBURSEMENT, "2", provider=provider)
            services.approve_disbursement(entry=entry, approved_by=approver)
            services.reverse_entry(entry=entry, reason="重复录入")

    world.callers[caller].get(ENTRIES)  # a key's first use records it; not the list's cost
    # A staff session also loads the second-factor device that verified it.
    most = 6 if caller == "finance" else 5
    assert_constant_queries(
        world.callers[caller], ENTRIES, grow, django_assert_max_num_queries, most=most
    )


# -- who sees which entries --------------------------------------------------------------------


def test_each_caller_sees_the_entries_it_may(world):
    public = record(world.public, ARRIVAL, "100")
    hidden = record(world.hidden, ARRIVAL, "200")
    secret = record(world.secret, ARRIVAL, "300")
    seen = {name: ids(client.get(ENTRIES)) for name, client in world.callers.items()}

    assert seen == {
        "anonymous": {public.pk},
        "key_a": {public.pk, hidden.pk},
        "key_a_read": {public.pk, hidden.pk},
        "key_b": {public.pk},
        "finance": {public.pk, hidden.pk, secret.pk},
        "staff_no_role": {public.pk},
    }
    for name, client in world.callers.items():
        for entry in (public, hidden, secret):
            status = client.get(f"{ENTRIES}{entry.pk}/").status_code
            assert status == (200 if entry.pk in seen[name] else 404), (name, entry)


def test_public_figures_leave_unpublished_projects_out(world):
    record(world.public, ARRIVAL, "100")
    record(world.secret, ARRIVAL, "5000")
    BudgetLine.objects.create(project=world.secret, year=2024, amount=Decimal("7000"))

    public = world.callers["anonymous"].get(SUMMARY).json()
    secret = world.callers["anonymous"].get(SUMMARY, {"project": "HZ-SEC"}).json()
    everything = world.callers["finance"].get(SUMMARY).json()

    assert public["arrived"] == "100.00" and public["planned"] == "410050000.00"
    assert public["by_year"] == [
        {
            "year": 2024,
            "due": "0.00",
            "arrived": "100.00",
            "disbursed": "0.00",
            "spent": "0.00",
            "payment_rate": None,
        }
    ]
    assert secret["arrived"] == "0.00" and secret["planned"] == "0.00"
    assert secret["by_year"] == [] and secret["arrival_rate"] is None
    assert everything["arrived"] == "5100.00"


# -- posting entries ---------------------------------------------------------------------------


def entry_body(project="HZ-PUB", **changes) -> dict:
    return {
        "project": project,
        "type": ARRIVAL,
        "date": "2024-05-01",
        "amount": "1000.00",
        **changes,
    }


def post(client, body, **headers):
    return client.post(ENTRIES, body, content_type="application/json", **headers)


@pytest.mark.parametrize(
    "caller,project,status",
    [
        ("anonymous", "HZ-PUB", 401),
        ("key_a_read", "HZ-PUB", 403),
        ("staff_no_role", "HZ-PUB", 403),
        ("key_a", "HZ-PUB", 201),
        ("key_a", "HZ-HID", 201),
        ("key_a", "HZ-SEC", 400),  # unpublished and not A's: as if it did not exist
        ("key_b", "HZ-PUB", 400),  # published, but B does not take part
        ("finance", "HZ-SEC", 201),
    ],
)
def test_who_may_post_an_entry(world, caller, project, status):
    response = post(world.callers[caller], entry_body(project))

    assert response.status_code == status, response.content
    if status == 201:
        entry = LedgerEntry.objects.get()
        assert response.json()["id"] == entry.pk and response["Location"].endswith(
            f"{ENTRIES}{entry.pk}/"
        )
        assert ProjectFunding.objects.get(project=entry.project).arrived == Decimal("1000.00")
        audit = AuditEntry.objects.get()
        assert (audit.action, audit.model, audit.object_id) == (
            "create",
            "funding.LedgerEntry",
            str(entry.pk),
        )
    else:
        assert response["Content-Type"] == "application/problem+json"
        assert not LedgerEntry.objects.exists() and not AuditEntry.objects.exists()
    if status == 400:
        assert list(response.json()["errors"]) == ["project"]


def test_who_recorded_an_entry_is_kept(world):
    post(world.callers["key_a"], entry_body())
    post(world.callers["finance"], entry_body())

    by_key, by_staff = LedgerEntry.objects.order_by("id")

    assert by_key.recorded_by_key.organisation == world.org_a and by_key.recorded_by is None
    assert by_staff.recorded_by.username == "finance" and by_staff.recorded_by_key is None


def test_an_idempotent_retry_posts_once(world):
    first = post(world.callers["finance"], entry_body(), HTTP_IDEMPOTENCY_KEY="pay-1")
    again = post(world.callers["finance"], entry_body(), HTTP_IDEMPOTENCY_KEY="pay-1")
    other = post(world.callers["finance"], entry_body(amount="2.00"), HTTP_IDEMPOTENCY_KEY="pay-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422
    assert LedgerEntry.objects.count() == 1 and AuditEntry.objects.count() == 1
    assert ProjectFunding.objects.get(project=world.public).arrived == Decimal("1000.00")


def test_a_disbursement_beyond_arrivals_is_a_409_and_writes_nothing(world):
    record(world.public, ARRIVAL, "1000")
    record(world.public, DISBURSEMENT, "900")

    response = post(
        world.callers["key_a"],
        entry_body(type=DISBURSEMENT, amount="100.01"),
        HTTP_IDEMPOTENCY_KEY="too-much",
    )

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/api/v1/problems/beyond-arrivals"
    assert "100.00" in problem["detail"]
    assert LedgerEntry.objects.count() == 2 and not AuditEntry.objects.exists()
    assert ProjectFunding.objects.get(project=world.public).disbursed == Decimal("900")
    explained = world.callers["anonymous"].get(problem["type"])
    assert explained.status_code == 200 and explained.json()["type"] == problem["type"]
    # The failed request released its Idempotency-Key: once funds arrive, a retry may pass.
    record(world.public, ARRIVAL, "1")
    retry = post(
        world.callers["key_a"],
        entry_body(type=DISBURSEMENT, amount="100.01"),
        HTTP_IDEMPOTENCY_KEY="too-much",
    )
    assert retry.status_code == 201


def test_finance_staff_with_the_permission_may_go_beyond_arrivals_with_a_reason(world):
    body = entry_body(type=DISBURSEMENT, amount="500", beyond_arrivals_reason="省级资金在途")

    refused = post(world.callers["key_a"], body)
    accepted = post(world.callers["finance"], body)

    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["beyond_arrivals_reason"]
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["beyond_arrivals"] is True
    assert accepted.json()["reason"] == "省级资金在途"
    wrong_type = post(world.callers["finance"], entry_body(beyond_arrivals_reason="x"))
    assert wrong_type.status_code == 400
    assert list(wrong_type.json()["errors"]) == ["beyond_arrivals_reason"]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "1000000000000"}, "amount"),
        ({"type": "loan"}, "type"),
        ({"date": "2024-02-30"}, "date"),
        ({"provider": "nobody"}, "provider"),
        ({"voucher": "x" * 101}, "voucher"),
        ({"recorded_by": 1}, "recorded_by"),
        ({"beyond_arrivals": True}, "beyond_arrivals"),
    ],
)
def test_a_wrong_field_is_named_and_nothing_is_written(world, change, field):
    response = post(world.callers["finance"], entry_body(**change))

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not LedgerEntry.objects.exists()


def test_totals_too_large_for_the_ledger_are_a_400_not_a_crash(world, settings):
    settings.FUNDING_APPROVAL_THRESHOLD = "1000000000000"  # so that both count at once
    huge = entry_body(amount="999999999999.99", beyond_plan_reason="far above the plan")
    assert post(world.callers["finance"], huge).status_code == 201

    response = post(world.callers["finance"], huge)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["amount"]
    assert LedgerEntry.objects.count() == 1


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("caller", ["anonymous", "key_a", "finance"])
def test_entries_are_never_changed_or_deleted(world, method, caller):
    entry = record(world.public, ARRIVAL, "100")

    response = getattr(world.callers[caller], method)(
        f"{ENTRIES}{entry.pk}/", entry_body(amount="1"), content_type="application/json"
    )

    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert LedgerEntry.objects.get().amount == Decimal("100")


# -- reversals ---------------------------------------------------------------------------------


def reverse(client, entry, reason="凭证号录错", **headers):
    return client.post(
        f"{ENTRIES}{entry.pk}/reverse/",
        {"reason": reason},
        content_type="application/json",
        **headers,
    )


def test_finance_staff_reverse_an_entry_once(world):
    record(world.public, ARRIVAL, "1000")
    paid = record(world.public, DISBURSEMENT, "400")

    first = reverse(world.callers["finance"], paid, HTTP_IDEMPOTENCY_KEY="undo-1")
    replay = reverse(world.callers["finance"], paid, HTTP_IDEMPOTENCY_KEY="undo-1")
    twice = reverse(world.callers["finance"], paid)

    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert first.json()["reverses"] == paid.pk and first.json()["reason"] == "凭证号录错"
    assert twice.status_code == 409 and twice.json()["type"] == "/api/v1/problems/conflict"
    assert LedgerEntry.objects.count() == 3
    assert ProjectFunding.objects.get(project=world.public).disbursed == Decimal("0")
    assert AuditEntry.objects.filter(object_id=str(first.json()["id"])).count() == 1


@pytest.mark.parametrize(
    "caller,status",
    [("anonymous", 401), ("key_a", 403), ("key_a_read", 403), ("staff_no_role", 403)],
)
def test_only_finance_staff_reverse(world, caller, status):
    entry = record(world.public, ARRIVAL, "1000")

    assert reverse(world.callers[caller], entry).status_code == status
    assert LedgerEntry.objects.count() == 1


def test_a_reversal_needs_a_reason_and_an_entry(world):
    entry = record(world.public, ARRIVAL, "1000")

    assert reverse(world.callers["finance"], entry, reason="").status_code == 400
    missing = world.callers["finance"].post(
        f"{ENTRIES}{entry.pk + 99}/reverse/", {"reason": "x"}, content_type="application/json"
    )
    assert missing.status_code == 404
    assert LedgerEntry.objects.count() == 1


def test_reversing_an_arrival_that_disbursements_rely_on_is_a_409(world):
    arrival = record(world.public, ARRIVAL, "1000")
    record(world.public, DISBURSEMENT, "1000")

    response = reverse(world.callers["finance"], arrival)

    assert response.status_code == 409
    assert response.json()["type"] == "/api/v1/problems/beyond-arrivals"
    assert LedgerEntry.objects.count() == 2


# -- figures -----------------------------------------------------------------------------------


def test_summary_figures_are_the_selectors_and_rates_are_exact(world, settings):
    settings.FUNDING_APPROVAL_THRESHOLD = "1000000000"
    record(world.public, ARRIVAL, "303760000", date=datetime.date(2022, 4, 1))
    record(world.public, DISBURSEMENT, "248450000", date=datetime.date(2023, 4, 1))
    record(world.public, LedgerEntry.Type.EXPENDITURE, "1000.50", date=datetime.date(2023, 5, 1))

    body = world.callers["anonymous"].get(SUMMARY, {"project": "HZ-PUB"}).json()

    figures = selectors.totals(selectors.projects_in_scope(public=True, project="HZ-PUB"))
    assert body["planned"] == "410050000.00"
    assert Decimal(body["arrived"]) == figures.arrived == Decimal("303760000")
    assert Decimal(body["disbursed"]) == figures.disbursed
    assert Decimal(body["spent"]) == figures.spent == Decimal("1000.50")
    assert body["awaiting_approval"] == "0.00" and body["currency"] == "CNY"
    assert body["arrival_rate"].startswith("0.7407")
    assert Decimal(body["arrival_rate"]) == Decimal(303760000) / Decimal(410050000)
    assert Decimal(body["disbursement_rate"]) == figures.disbursement_rate
    assert "E" not in body["arrival_rate"]


def test_a_payment_rate_above_one_when_a_backlog_is_paid(world):
    project = world.public
    BudgetLine.objects.create(project=project, year=2022, amount=Decimal("100"))
    BudgetLine.objects.create(project=project, year=2023, amount=Decimal("120"))
    BudgetLine.objects.create(project=project, year=2023, kind="revised", amount=Decimal("100"))
    record(project, ARRIVAL, "300", date=datetime.date(2022, 1, 10))
    record(project, DISBURSEMENT, "66", date=datetime.date(2022, 6, 1))
    record(project, DISBURSEMENT, "134", date=datetime.date(2023, 6, 1))

    years = world.callers["anonymous"].get(SUMMARY).json()["by_year"]
    only_2023 = world.callers["anonymous"].get(SUMMARY, {"year": 2023}).json()["by_year"]

    assert [(row["year"], row["due"], row["payment_rate"]) for row in years] == [
        (2022, "100.00", "0.66"),
        (2023, "100.00", "1.34"),  # the revised line is what was due
    ]
    assert only_2023 == [years[1]]
    assert [
        (row.year, row.payment_rate)
        for row in selectors.by_year(selectors.projects_in_scope(public=True))
    ] == [(2022, Decimal("0.66")), (2023, Decimal("1.34"))]


def test_summary_filters(world):
    other = ProjectFactory(code="HZ-HEALTH", field="development", category="health")
    record(world.public, ARRIVAL, "100")
    record(other, ARRIVAL, "7")
    client = world.callers["anonymous"]

    assert client.get(SUMMARY, {"field": "development"}).json()["arrived"] == "7.00"
    assert client.get(SUMMARY, {"category": "housing"}).json()["arrived"] == "100.00"
    programme = world.public.programme.code
    assert client.get(SUMMARY, {"programme": programme}).json()["arrived"] == "100.00"
    assert client.get(SUMMARY, {"period": "none"}).json()["arrived"] == "0.00"
    for bad in ({"field": "money"}, {"year": "0"}, {"programme": "nowhere"}):
        response = client.get(SUMMARY, bad)
        assert response.status_code == 400, bad
        assert list(response.json()["errors"]) == list(bad)


def test_a_partner_key_gets_its_own_projects_figures_too(world):
    record(world.public, ARRIVAL, "100")
    record(world.hidden, ARRIVAL, "20")
    record(world.secret, ARRIVAL, "3")

    arrived = {
        name: world.callers[name].get(SUMMARY).json()["arrived"]
        for name in ("anonymous", "key_a", "key_b", "finance")
    }

    assert arrived == {
        "anonymous": "100.00",
        "key_a": "120.00",
        "key_b": "100.00",
        "finance": "123.00",
    }


# -- donations ---------------------------------------------------------------------------------


def donate(programme, kind, value, beneficiaries="other", **kwargs) -> Donation:
    return Donation.objects.create(
        programme=programme,
        date=kwargs.pop("date", DAY),
        kind=kind,
        value=Decimal(value),
        donor_name="杭州某企业",
        beneficiaries=beneficiaries,
        **{"purpose_zh_hans": "捐赠", "purpose_en": "Donation", **kwargs},
    )


def test_donations_and_their_totals(world):
    programme = world.public.programme
    money = donate(programme, "money", "5150000")
    books = donate(programme, "goods", "6200000", "students", date=datetime.date(2023, 9, 1))
    donate(programme, "goods", "999", published=False)
    donate(programme, "goods", "888", project=world.secret)
    client = world.callers["anonymous"]

    listed = client.get(DONATIONS).json()
    totals = client.get(f"{DONATIONS}summary/").json()

    assert {row["id"] for row in listed["results"]} == {money.pk, books.pk}
    assert listed["count"] == 2
    row = next(row for row in listed["results"] if row["id"] == books.pk)
    assert (row["value"], row["kind"], row["beneficiaries"], row["programme"]) == (
        "6200000.00",
        "goods",
        "students",
        programme.code,
    )
    assert row["purpose"] == {"zh-hans": "捐赠", "en": "Donation"}
    assert totals == {
        "currency": "CNY",
        "total": "11350000.00",
        "money": "5150000.00",
        "goods": "6200000.00",
        "goods_for_students": "6200000.00",
    }
    assert ids(client.get(DONATIONS, {"kind": "money"})) == {money.pk}
    assert ids(client.get(DONATIONS, {"beneficiaries": "students"})) == {books.pk}
    assert ids(client.get(DONATIONS, {"year": 2023})) == {books.pk}
    assert client.get(f"{DONATIONS}summary/", {"year": 2024}).json()["total"] == "5150000.00"
    assert client.get(f"{DONATIONS}summary/", {"kind": "gold"}).status_code == 400
    assert world.callers["finance"].get(f"{DONATIONS}summary/").json()["total"] == "11351887.00"
    assert client.get(DONATIONS, {"page_size": 1}).json()["next"]


def test_each_caller_reads_a_donation_in_the_list_as_its_own_page_writes_it(world):
    programme = world.public.programme
    # Donors recorded or only named, a recipient or none, a project or none, every kind and
    # beneficiary, a purpose in one language, and (for staff) unpublished ones.
    donate(programme, "money", "5150000.5", donor=world.org_a, recipient=world.org_b)
    donate(programme, "goods", "6200000", "students", project=world.public, purpose_en="")
    donate(programme, "goods", "999", published=False, illustrative=True)
    donate(programme, "money", "888", project=world.secret)

    for caller, rows in (("anonymous", 2), ("key_a", 2), ("finance", 4)):
        compared = assert_each_row_is_its_own_page(
            world.callers[caller], DONATIONS, lambda row: f"{DONATIONS}{row['id']}/"
        )
        assert compared == 2 * rows, caller


def test_donations_cost_the_same_queries_at_10_and_100(world, django_assert_max_num_queries):
    programme = world.public.programme
    donor = OrganisationFactory(code="hz-donor")

    def grow(n: int) -> None:
        while Donation.objects.count() < n:
            Donation.objects.create(
                programme=programme,
                date=DAY,
                kind="money",
                value=1,
                donor=donor,
                purpose="x",
                recipient=world.org_a,
                project=world.public,
            )

    assert_constant_queries(
        world.callers["anonymous"], DONATIONS, grow, django_assert_max_num_queries, most=3
    )


def test_an_arrival_above_the_planned_investment_needs_a_reason(world):
    world.public.planned_investment = Decimal("1500")
    world.public.save()
    body = entry_body(amount="2000.00")

    refused = post(world.callers["key_a"], body)
    accepted = post(world.callers["key_a"], {**body, "beyond_plan_reason": "追加投资已批复"})

    assert refused.status_code == 400, refused.content
    assert list(refused.json()["errors"]) == ["beyond_plan_reason"]
    assert "1,500.00" in refused.json()["errors"]["beyond_plan_reason"][0]
    assert accepted.status_code == 201, accepted.content
    assert LedgerEntry.objects.get(pk=accepted.json()["id"]).reason == "追加投资已批复"
    wrong_type = post(
        world.callers["finance"], entry_body(type=DISBURSEMENT, amount="1", beyond_plan_reason="x")
    )
    assert wrong_type.status_code == 400
    assert "beyond_plan_reason" in wrong_type.json()["errors"]
