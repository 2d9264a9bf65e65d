import datetime
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.utils import timezone

from api.keys import issue_api_key
from medical import services
from medical.models import CallItem, Claim, ProgressReport
from tests.api_utils import assert_constant_queries, assert_each_row_is_its_own_page
from tests.factories import OrganisationFactory
from tests.medical.factories import CallItemFactory, CallListFactory, donor_side, published_item

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def key_client(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def staff_client(username: str, group: str | None) -> Client:
    user = User.objects.create_user(username, is_staff=True)
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world():
    item = published_item()
    org_a = donor_side(item, code="shangcheng-health")
    org_b = donor_side(item, code="fuyang-health")
    keys = {
        "key_a": issue_api_key(organisation=org_a, name="A", capabilities=["medical:claim"])[1],
        "key_b": issue_api_key(organisation=org_b, name="B", capabilities=["medical:claim"])[1],
        "key_a_read": issue_api_key(organisation=org_a, name="A read")[1],
    }
    callers = {
        "anonymous": Client(),
        **{name: key_client(key) for name, key in keys.items()},
        "health_commission": staff_client("hc", "Health commission"),
        "staff_no_role": staff_client("newcomer", None),
    }
    return item, org_a, org_b, callers


def claim_url(item) -> str:
    return f"/api/v1/medical/items/{item.pk}/claim/"


def test_a_claiming_institution_finds_claims_reports_and_delivers(world):
    item, org_a, _org_b, callers = world
    client = callers["key_a"]
    found = client.get(
        "/api/v1/medical/items/",
        {"status": "open", "programme": item.call_list.programme.code},
    ).json()
    assert [row["id"] for row in found["results"]] == [item.pk]
    assert found["results"][0]["places_left"] == 1

    response = client.post(
        claim_url(item),
        {"pledge": "派出骨科专家", "contact": "0571-000"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="claim-1",
    )
    assert response.status_code == 201, response.content
    claim = response.json()
    assert claim["organisation"] == org_a.code and claim["status"] == "active"
    assert claim["private"]["contact"] == "0571-000"
    assert response["Location"].endswith(f"/api/v1/medical/claims/{claim['id']}/")

    replay = client.post(
        claim_url(item),
        {"pledge": "派出骨科专家", "contact": "0571-000"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="claim-1",
    )
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert Claim.objects.count() == 1

    report = client.post(
        f"/api/v1/medical/claims/{claim['id']}/reports/",
        {
            "date": timezone.localdate().isoformat(),
            "text": "已完成两台手术",
            "attachments": ["https://example.org/photo.jpg"],
        },
        content_type="application/json",
    )
    assert report.status_code == 201, report.content
    assert CallItem.objects.get(pk=item.pk).status == "in_progress"

    delivered = client.post(
        f"/api/v1/medical/claims/{claim['id']}/deliver/",
        {"summary": "全部完成"},
        content_type="application/json",
    )
    assert delivered.status_code == 200, delivered.content
    assert delivered.json()["status"] == "delivered"

    again = client.post(
        f"/api/v1/medical/claims/{claim['id']}/deliver/", {}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again["Content-Type"] == PROBLEM
    assert again.json()["type"] == "/api/v1/problems/invalid-transition"
    assert Client().get("/api/v1/problems/invalid-transition").status_code == 200

    services.verify_claim(claim=Claim.objects.get(pk=claim["id"]), score=90)
    board = (
        Client()
        .get(
            "/api/v1/medical/leaderboard/",
            {"list": item.call_list_id, "programme": item.call_list.programme.code},
        )
        .json()
    )
    assert board["rows"][0]["organisation"] == org_a.code
    assert board["rows"][0]["points"] == "24.0"  # treatment 10 + on time 5 + 90/10


def test_a_full_item_refuses_with_a_problem(world):
    item, _a, _b, callers = world
    assert (
        callers["key_a"].post(claim_url(item), {}, content_type="application/json").status_code
        == 201
    )
    refused = callers["key_b"].post(claim_url(item), {}, content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["type"] == "/api/v1/problems/claim-refused"


def test_a_partner_side_institution_is_refused_with_the_reason(world):
    """The partner district's hospital asked for the help: its key may not claim the item."""
    item, _a, _b, _callers = world
    hospital = OrganisationFactory(parent=item.call_list.programme.partner, name_en="Hospital")
    key = issue_api_key(organisation=hospital, name="HIS", capabilities=["medical:claim"])[1]
    refused = key_client(key).post(
        claim_url(item), {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 409
    assert refused["Content-Type"] == PROBLEM
    assert refused.json()["type"] == "/api/v1/problems/claim-refused"
    assert "Only the donor side claims items" in refused.json()["detail"]
    assert not Claim.objects.exists()


def test_claim_input_is_strict(world):
    item, _a, _b, callers = world
    response = callers["key_a"].post(
        claim_url(item), {"pledge": "x", "status": "verified"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status"}
    assert not Claim.objects.exists()


# Who gets what on another organisation's claim, and on its own: the cross-organisation matrix.
MATRIX = {
    #                     read, private, reports GET, report POST, deliver POST, claim POST
    "anonymous": (200, False, 404, 401, 401, 401),
    "key_a": (200, True, 200, 201, 200, 201),
    "key_b": (200, False, 404, 404, 404, 201),
    "key_a_read": (200, True, 200, 403, 403, 403),
    "health_commission": (200, True, 200, 403, 403, 403),
    "staff_no_role": (200, False, 404, 403, 403, 403),
}


@pytest.mark.parametrize("caller", list(MATRIX))
def test_cross_organisation_matrix(world, caller):
    item, org_a, _b, callers = world
    claim = services.claim_item(item=item, organisation=org_a, contact="私密联系人")
    services.add_report(claim=claim, date=timezone.localdate(), text="私密进展")
    client = callers[caller]
    read, private, reports, report_post, deliver_post, claim_post = MATRIX[caller]

    detail = client.get(f"/api/v1/medical/claims/{claim.pk}/")
    assert detail.status_code == read
    body = detail.json()
    assert body["organisation"] == org_a.code
    assert (body["private"] is not None) == private
    if private:
        assert body["private"]["contact"] == "私密联系人"
    listed = client.get("/api/v1/medical/claims/").json()["results"]
    assert [(row["id"], row["private"] is not None) for row in listed] == [(claim.pk, private)]
    assert "私密" not in str(listed) or private

    assert client.get(f"/api/v1/medical/claims/{claim.pk}/reports/").status_code == reports
    posted = client.post(
        f"/api/v1/medical/claims/{claim.pk}/reports/",
        {"date": timezone.localdate().isoformat(), "text": "更多进展"},
        content_type="application/json",
    )
    assert posted.status_code == report_post, posted.content
    assert ProgressReport.objects.count() == (2 if report_post == 201 else 1)
    delivered = client.post(
        f"/api/v1/medical/claims/{claim.pk}/deliver/", {}, content_type="application/json"
    )
    assert delivered.status_code == deliver_post, delivered.content
    claim.refresh_from_db()
    assert claim.status == ("delivered" if deliver_post == 200 else "active")

    # A second item with one place: who may claim it.
    other = CallItemFactory(call_list=item.call_list)
    claimed = client.post(claim_url(other), {}, content_type="application/json")
    assert claimed.status_code == claim_post, claimed.content


def test_drafts_are_for_staff_only(world):
    item, _a, _b, callers = world
    draft = CallListFactory(programme=item.call_list.programme)
    CallItemFactory(call_list=draft)
    code = item.call_list.programme.code
    public = callers["anonymous"].get("/api/v1/medical/lists/", {"programme": code}).json()
    assert [row["id"] for row in public["results"]] == [item.call_list_id]
    staff = callers["health_commission"].get("/api/v1/medical/lists/", {"programme": code})
    assert {row["id"] for row in staff.json()["results"]} == {item.call_list_id, draft.pk}
    assert callers["key_a"].get(f"/api/v1/medical/lists/{draft.pk}/").status_code == 404
    items = callers["key_a"].get("/api/v1/medical/items/", {"programme": code}).json()
    assert [row["id"] for row in items["results"]] == [item.pk]
    unknown = callers["anonymous"].get("/api/v1/medical/items/", {"programme": "nowhere"})
    assert unknown.status_code == 404


def test_the_default_programmes_lists_are_read_afresh_by_every_request(world):
    # Their queries are built once per process (core.querysets): each request still reads the
    # rows as they are now, and staff still read drafts nobody else does.
    item, _a, _b, callers = world
    anonymous, staff = callers["anonymous"], callers["health_commission"]

    def shown(client: Client, path: str) -> dict[int, int | None]:
        rows = client.get(path).json()["results"]
        return {row["id"]: row.get("items", row.get("places_left")) for row in rows}

    assert shown(anonymous, "/api/v1/medical/lists/") == {item.call_list_id: 1}
    draft = CallListFactory(programme=item.call_list.programme)
    draft_item = CallItemFactory(call_list=draft)
    assert shown(staff, "/api/v1/medical/lists/") == {item.call_list_id: 1, draft.pk: 1}
    assert shown(staff, "/api/v1/medical/items/") == {item.pk: 1, draft_item.pk: 1}
    assert shown(anonymous, "/api/v1/medical/lists/") == {item.call_list_id: 1}
    assert shown(anonymous, "/api/v1/medical/items/") == {item.pk: 1}

    draft.status, draft.published_on = draft.Status.PUBLISHED, date(2024, 2, 1)
    draft.save()
    CallItemFactory(call_list=draft)
    assert shown(anonymous, "/api/v1/medical/lists/") == {item.call_list_id: 1, draft.pk: 2}
    services.claim_item(item=item, organisation=donor_side(item))
    assert shown(anonymous, "/api/v1/medical/items/")[item.pk] == 0


def test_lists_and_items_open_on_the_default_programme_without_looking_it_up_first(
    settings, django_assert_num_queries
):
    first, second = published_item(), published_item()
    services.claim_item(item=second, organisation=donor_side(second))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    def shown(path: str) -> list[int]:
        return [row["id"] for row in client.get(path).json()["results"]]

    # The first programme by code, unless DEFAULT_PROGRAMME names another.
    settings.DEFAULT_PROGRAMME = ""
    assert first.call_list.programme.code < second.call_list.programme.code
    assert shown("/api/v1/medical/items/") == [first.pk]
    assert shown("/api/v1/medical/lists/") == [first.call_list_id]
    settings.DEFAULT_PROGRAMME = second.call_list.programme.code
    # The items with their count in one query, the claimants in another; none for the programme.
    with django_assert_num_queries(2):
        assert shown("/api/v1/medical/items/") == [second.pk]
    with django_assert_num_queries(1):
        assert shown("/api/v1/medical/lists/") == [second.call_list_id]
    settings.DEFAULT_PROGRAMME = "nowhere"
    assert shown("/api/v1/medical/items/") == [first.pk]


def test_each_caller_reads_lists_items_and_claims_as_their_own_pages_write_them(world):
    item, org_a, org_b, callers = world
    call_list = item.call_list
    # Items of every kind the list writes: a budget or none, a due date of their own or the
    # list's, no claimant or several in each holding status (a withdrawn one is not listed),
    # claimants named in one language only.
    item.budget, item.due_on, item.max_claimants = Decimal("12500.50"), date(2027, 3, 1), 4
    item.save()
    org_b.name_en = ""
    org_b.save()
    CallItemFactory(call_list=call_list, title_en="", description_zh_hans="说明")
    claims = [
        services.claim_item(item=item, organisation=organisation)
        for organisation in (org_a, org_b, donor_side(item), donor_side(item))
    ]
    services.deliver_claim(claim=claims[1], summary="已交付")
    services.deliver_claim(claim=claims[2], summary="已交付")
    services.verify_claim(claim=claims[2], score=90)
    services.withdraw_claim(claim=claims[3])
    CallListFactory(programme=call_list.programme, title_en="")  # a draft without items
    other = CallItemFactory(call_list=call_list, max_claimants=2)
    late, on_time = (services.claim_item(item=other, organisation=o) for o in (org_a, org_b))
    for claim in (late, on_time):
        services.deliver_claim(claim=claim, summary="已交付")
    # Late by the list's deadline (the item has no due date), and by the item's due date.
    Claim.objects.filter(pk=late.pk).update(delivered_on=date(2100, 1, 1))
    Claim.objects.filter(pk=claims[1].pk).update(delivered_on=date(2027, 3, 2))
    code = call_list.programme.code

    for caller in ("anonymous", "key_a", "health_commission"):
        compared = assert_each_row_is_its_own_page(
            callers[caller],
            f"/api/v1/medical/items/?programme={code}",
            lambda row: f"/api/v1/medical/items/{row['id']}/",
        )
        assert compared == 6
        # Claims delivered on time and late, by the item's due date and by the list's deadline.
        assert_each_row_is_its_own_page(
            callers[caller],
            "/api/v1/medical/claims/",
            lambda row: f"/api/v1/medical/claims/{row['id']}/",
        )
        # Lists with and without items, published and (for staff) drafts.
        assert_each_row_is_its_own_page(
            callers[caller],
            f"/api/v1/medical/lists/?programme={code}",
            lambda row: f"/api/v1/medical/lists/{row['id']}/",
        )
    claims_listed = callers["anonymous"].get("/api/v1/medical/claims/").json()["results"]
    assert [row["on_time"] for row in claims_listed] == [None, False, True, None, False, True]
    listed = callers["anonymous"].get(f"/api/v1/medical/items/?programme={code}").json()
    assert [c["organisation"] for c in listed["results"][0]["claimants"]] == [
        org_a.code,
        org_b.code,
        claims[2].organisation.code,
    ]


def test_list_endpoints_make_the_same_queries_for_10_and_100_rows(
    world, django_assert_max_num_queries
):
    item, _a, _b, callers = world
    call_list = item.call_list
    code = call_list.programme.code

    def grow_items(n):
        while CallItem.objects.filter(call_list=call_list).count() < n:
            extra = CallItemFactory(call_list=call_list)
            services.claim_item(item=extra, organisation=donor_side(extra))

    assert_constant_queries(
        callers["anonymous"],
        f"/api/v1/medical/items/?programme={code}",
        grow_items,
        django_assert_max_num_queries,
        most=8,
    )

    def grow_claims(n):
        while Claim.objects.count() < n:
            extra = CallItemFactory(call_list=call_list)
            claim = services.claim_item(item=extra, organisation=donor_side(extra))
            services.add_report(claim=claim, date=timezone.localdate(), text="进展")

    assert_constant_queries(
        callers["health_commission"],
        "/api/v1/medical/claims/",
        grow_claims,
        django_assert_max_num_queries,
        most=12,
    )


# ---------------------------------------------------------------------------------------------
# The race


@pytest.mark.django_db(transaction=True)
def test_twenty_four_parallel_claims_on_one_place_exactly_one_wins():
    item = published_item(max_claimants=1)
    attempts = 24
    keys = [
        issue_api_key(organisation=donor_side(item), name="racer", capabilities=["medical:claim"])[
            1
        ]
        for _ in range(attempts)
    ]
    barrier = threading.Barrier(attempts)
    answers = []

    def claim(key):
        try:
            client = key_client(key)
            barrier.wait(20)
            response = client.post(claim_url(item), {}, content_type="application/json")
            answers.append((response.status_code, response.get("Content-Type"), response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    statuses = sorted(status for status, _type, _body in answers)
    assert statuses == [201] + [409] * (attempts - 1)
    refusals = [body for status, _type, body in answers if status == 409]
    assert {body["type"] for body in refusals} == {"/api/v1/problems/claim-refused"}
    assert {content_type for status, content_type, _b in answers if status == 409} == {PROBLEM}
    assert Claim.objects.filter(item=item).count() == 1
    item.refresh_from_db()
    assert (item.active_claims, item.status) == (1, "claimed")


@pytest.mark.django_db(transaction=True)
def test_parallel_claims_fill_three_places_and_no_more():
    item = published_item(max_claimants=3)
    organisations = [donor_side(item) for _ in range(20)]
    barrier = threading.Barrier(len(organisations))
    outcomes = []

    def claim(organisation):
        try:
            barrier.wait(20)
            services.claim_item(item=item, organisation=organisation, on=datetime.date(2024, 2, 1))
            outcomes.append("won")
        except services.ClaimRefused:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(org,)) for org in organisations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["refused"] * 17 + ["won"] * 3
    assert Claim.objects.filter(item=item).count() == 3
