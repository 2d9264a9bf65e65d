import pytest
from django.contrib.auth.models import Group, User
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from medical import services
from medical.models import Bulletin, CallList, Claim, Verification
from tests.medical.factories import (
    CallItemFactory,
    CallListFactory,
    NeedFactory,
    donor_side,
    published_item,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def commission():
    user = User.objects.create_user("hc", is_staff=True)
    user.groups.add(Group.objects.get(name="Health commission"))
    client = Client()
    client.force_login(user)
    return client


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def action(client, model: str, name: str, pks) -> list[str]:
    response = client.post(
        f"/en/admin/medical/{model}/",
        {"action": name, "_selected_action": [str(pk) for pk in pks]},
        follow=True,
    )
    assert response.status_code == 200
    return texts(response)


@pytest.mark.parametrize(
    "model",
    [
        "need",
        "calllist",
        "callitem",
        "claim",
        "verification",
        "bulletin",
        "freeclinic",
        "charitybatch",
        "hospitalfirst",
        "transition",
        "leaderboardsnapshot",
    ],
)
def test_the_health_commission_reads_every_list(commission, model):
    published_item()
    assert commission.get(f"/en/admin/medical/{model}/").status_code == 200


def test_staff_without_the_role_see_nothing():
    client = Client()
    client.force_login(User.objects.create_user("newcomer", is_staff=True))
    assert client.get("/en/admin/medical/claim/").status_code == 403


def test_needs_become_an_item_of_a_draft_list_and_the_list_is_published(commission):
    need = NeedFactory()
    assert action(commission, "need", "accept_selected", [need.pk]) == [f"{need}: accepted."]
    call_list = CallListFactory(programme=need.programme)
    response = commission.post(
        "/en/admin/medical/callitem/add/",
        {
            "call_list": call_list.pk,
            "number": 1,
            "title_zh_hans": "急诊科建设",
            "title_en": "",
            "description_zh_hans": "",
            "description_en": "",
            "deliverables_zh_hans": "",
            "deliverables_en": "",
            "category": "specialty",
            "max_claimants": 1,
            "needs": [need.pk],
        },
        follow=True,
    )
    assert response.status_code == 200
    need.refresh_from_db()
    assert need.status == "listed" and call_list.items.count() == 1
    action(commission, "calllist", "publish_selected", [call_list.pk])
    call_list.refresh_from_db()
    assert call_list.status == "published"


def test_a_refused_step_is_an_error_message_and_changes_nothing(commission):
    call_list = CallListFactory()
    messages = action(commission, "calllist", "close_selected", [call_list.pk])
    assert len(messages) == 1 and "refused" in messages[0] and "Draft" not in messages[0]
    assert "draft" in messages[0]
    call_list.refresh_from_db()
    assert call_list.status == CallList.Status.DRAFT
    empty = action(commission, "calllist", "publish_selected", [call_list.pk])
    assert "at least one item" in empty[0]


def test_staff_verify_or_return_a_delivery(commission):
    item = published_item()
    claim = services.claim_item(item=item, organisation=donor_side(item))
    services.deliver_claim(claim=claim, summary="已交付")
    url = "/en/admin/medical/verification/add/"
    refused = commission.post(url, {"claim": claim.pk, "outcome": "returned", "score": 80})
    assert refused.status_code == 200
    assert set(refused.context["adminform"].form.errors) == {"score", "note"}
    commission.post(url, {"claim": claim.pk, "outcome": "returned", "note": "缺少培训记录"})
    claim.refresh_from_db()
    assert claim.status == "returned"
    services.deliver_claim(claim=claim, summary="已交付")
    commission.post(url, {"claim": claim.pk, "outcome": "accepted", "score": 88, "note": ""})
    claim.refresh_from_db()
    assert claim.status == "verified"
    assert Verification.objects.get(claim=claim, outcome="accepted").score == 88
    # A verified claim is no longer offered for verification.
    again = commission.post(url, {"claim": claim.pk, "outcome": "accepted", "score": 90})
    assert "claim" in again.context["adminform"].form.errors


def test_an_item_cannot_shrink_below_its_claims(commission):
    item = published_item(max_claimants=2)
    for _ in range(2):
        services.claim_item(item=item, organisation=donor_side(item))
    response = commission.post(
        f"/en/admin/medical/callitem/{item.pk}/change/",
        {
            "number": item.number,
            "title_zh_hans": item.title_zh_hans,
            "title_en": "",
            "description_zh_hans": "",
            "description_en": "",
            "deliverables_zh_hans": "",
            "deliverables_en": "",
            "category": item.category,
            "max_claimants": 1,
        },
    )
    assert "max_claimants" in response.context["adminform"].form.errors
    assert Claim.objects.filter(item=item).count() == 2


@pytest.mark.parametrize("model", ["callitem", "bulletin"])
def test_lists_make_as_many_queries_for_many_rows_as_for_one(commission, model):
    def add_row():
        item = CallItemFactory()  # each on a list of its own
        if model == "bulletin":
            Bulletin.objects.create(
                programme=item.call_list.programme,
                kind=Bulletin.Kind.COMMENDATION,
                title_zh_hans="通报",
                title_en="Bulletin",
                body_zh_hans="内容",
                body_en="Text",
                call_list=item.call_list,
            )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert commission.get(f"/en/admin/medical/{model}/").status_code == 200
        return len(captured)

    add_row()
    one = queries()
    for _ in range(4):
        add_row()
    assert queries() == one


def test_a_draft_lists_page_shows_its_items_and_a_link_to_add_one(commission):
    item = CallItemFactory()
    call_list = item.call_list

    page = commission.get(f"/en/admin/medical/calllist/{call_list.pk}/change/").content.decode()

    assert item.title_en in page
    assert f'href="/en/admin/medical/callitem/add/?call_list={call_list.pk}"' in page
    added = commission.get(f"/en/admin/medical/callitem/add/?call_list={call_list.pk}")
    assert added.context["adminform"].form.initial["call_list"] == str(call_list.pk)


def test_claims_awaiting_verification_come_first(commission):
    first, second = published_item(), published_item()
    waiting = services.claim_item(item=second, organisation=donor_side(second))
    services.claim_item(item=first, organisation=donor_side(first))
    services.deliver_claim(claim=waiting, summary="已交付")

    page = commission.get("/en/admin/medical/claim/")

    assert list(page.context["cl"].result_list)[0] == waiting


def test_the_verification_form_says_a_score_is_required_to_accept(commission):
    page = commission.get("/en/admin/medical/verification/add/").content.decode()

    assert "score from 0 to 100 (required)" in page
