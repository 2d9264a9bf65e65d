"""The staff desk (工作台): each role sees the queues it may act on, oldest first, each item one
click from its action, and nothing else; the recorder of a large entry never sees it in their
own approval queue."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from core.desks import queues_for
from funding import services
from funding.models import LedgerCheck, LedgerEntry, ProjectFunding
from medical.models import CallList, Claim
from projects.models import Project
from tests.education.factories import CohortFactory, ExamFactory, enrol_with_results
from tests.factories import (
    FindingFactory,
    OrganisationFactory,
    ProgressUpdateFactory,
    ProjectFactory,
)
from tests.medical.factories import CallListFactory, NeedFactory, donor_side, published_item

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 3, 1)
DESK = "/en/admin/desk/"
ARRIVAL, DISBURSEMENT = LedgerEntry.Type.INCOMING_FUNDS, LedgerEntry.Type.DISBURSEMENT

APPROVALS = "Arrivals and disbursements awaiting your approval"
NOTES = "Partners' notes awaiting publication"
BEYOND = "Disbursements beyond arrivals not yet covered"
CHECKS = "Failed ledger checks"
DELIVERIES = "Deliveries awaiting verification"
NEEDS = "Needs awaiting triage"
LISTS = "Lists past their claim deadline, still open"
UPDATES = "Partners' progress updates awaiting publication"
OVERDUE = "Inspection findings past their rectification deadline"
CLOSURE = "Rectified findings awaiting closure"
RESULTS = "Results awaiting release"
# The project lifecycle's (projects.desk.lifecycle_queues).
PROPOSALS = "Proposals to submit for joint review"
DONOR_REVIEW = "Projects awaiting the donor side's review"
PARTNER_REVIEW = "Projects awaiting the partner side's review"
TO_APPROVE = "Projects both sides agree to, awaiting approval"
TO_START = "Approved projects not yet started"
TO_ACCEPT = "Completed projects awaiting acceptance"
TO_HAND_OVER = "Accepted projects awaiting handover"
ADJUSTMENTS = "Plan adjustments awaiting a decision"
LIFECYCLE = [
    PROPOSALS,
    DONOR_REVIEW,
    PARTNER_REVIEW,
    TO_APPROVE,
    TO_START,
    TO_ACCEPT,
    TO_HAND_OVER,
    ADJUSTMENTS,
]
# In INSTALLED_APPS order: projects, funding, medical, education.
EVERY_QUEUE = [
    UPDATES,
    *LIFECYCLE,
    OVERDUE,
    CLOSURE,
    APPROVALS,
    NOTES,
    BEYOND,
    CHECKS,
    DELIVERIES,
    NEEDS,
    LISTS,
    RESULTS,
]

ROLE_QUEUES = {
    "Finance officer": [NOTES, BEYOND, CHECKS],
    "Finance approver": [APPROVALS, NOTES, BEYOND, CHECKS],
    "Health commission": [DELIVERIES, NEEDS, LISTS],
    "Education staff": [RESULTS],
    "Programme staff": [UPDATES, TO_START, TO_ACCEPT, TO_HAND_OVER, OVERDUE],
    "Project proposer": [PROPOSALS],
    "Project reviewer (donor side)": [DONOR_REVIEW],
    "Project reviewer (partner side)": [PARTNER_REVIEW],
    "Project approver": [TO_APPROVE, ADJUSTMENTS],
    "Inspector": [OVERDUE],
    "Inspection reviewer": [CLOSURE],
    "Auditor": [],
}


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


def staff_in(group_name: str, username: str | None = None) -> User:
    user = User.objects.create_user(username or group_name.replace(" ", "-"), is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def large_arrival(project, by, voucher):
    return services.record_entry(
        project=project,
        type=ARRIVAL,
        date=DAY,
        amount=Decimal("9000"),
        voucher=voucher,
        recorded_by=by,
    )


def delivered_claim(on: datetime.date) -> Claim:
    item = published_item()
    return Claim.objects.create(
        item=item,
        organisation=donor_side(item),
        claimed_on=on,
        status=Claim.Status.DELIVERED,
        delivered_on=on,
        delivery_summary="Done.",
    )


@pytest.fixture
def world(settings):
    """One piece of work of every kind, and a large arrival recorded by each approver."""
    settings.FUNDING_APPROVAL_THRESHOLD = "5000"
    approver = staff_in("Finance approver", "approver-a")
    other_approver = staff_in("Finance approver", "approver-b")
    project = ProjectFactory(code="DESK-1")
    own = large_arrival(project, approver, "A-1")
    theirs = large_arrival(project, other_approver, "B-1")
    services.record_entry(
        project=ProjectFactory(code="DESK-2"),
        type=DISBURSEMENT,
        date=DAY,
        amount=Decimal("300"),
        beyond_arrivals_reason="Funds in transit.",
        recorded_by=approver,
    )
    LedgerCheck.objects.create(passed=False, difference_count=2, differences="a\nb")
    delivered_claim(DAY)
    NeedFactory(code="need-waiting")
    NeedFactory(code="need-accepted", status="accepted")
    CallListFactory(
        title_en="Batch past its deadline",
        status=CallList.Status.PUBLISHED,
        published_on=DAY,
        claim_deadline=timezone.localdate() - datetime.timedelta(days=1),
        delivery_deadline=None,
    )
    ProgressUpdateFactory(published=False, organisation=OrganisationFactory(), title_en="Wall done")
    ProgressUpdateFactory(published=False, title_en="Staff draft")
    enrol_with_results(CohortFactory(intake_year=2020), ExamFactory(code="zk-desk"), [600] * 6)
    FindingFactory(deadline=timezone.localdate() - datetime.timedelta(days=1))
    FindingFactory(
        deadline=timezone.localdate() + datetime.timedelta(days=30),
        rectification="Nets fitted.",
        rectified_at=timezone.now(),
        rectified_by=User.objects.create_user("site-manager", is_staff=True),
    )
    return {"approver": approver, "other_approver": other_approver, "own": own, "theirs": theirs}


def titles(user) -> list[str]:
    return [str(queue.title) for queue in queues_for(user)]


@pytest.mark.parametrize("role", ROLE_QUEUES)
def test_each_role_sees_its_own_queues_and_nothing_it_may_not_act_on(world, client, role):
    user = staff_in(role)
    assert titles(user) == ROLE_QUEUES[role]
    client.force_login(user)
    page = client.get(DESK).content.decode()
    for title in EVERY_QUEUE:
        assert (title.replace("'", "&#x27;") in page) == (title in ROLE_QUEUES[role]), title


def test_a_superuser_sees_every_queue(world):
    boss = User.objects.create_superuser("boss")
    assert titles(boss) == EVERY_QUEUE
    counts = {str(queue.title): queue.count for queue in queues_for(boss)}
    assert counts == {
        # Every project the factories make starts as a proposal; no other step waits.
        **{queue: 0 for queue in LIFECYCLE},
        PROPOSALS: Project.objects.count(),
        APPROVALS: 2,
        NOTES: 0,
        BEYOND: 1,
        CHECKS: 1,
        DELIVERIES: 1,
        NEEDS: 1,
        LISTS: 1,
        UPDATES: 1,
        OVERDUE: 1,
        CLOSURE: 1,
        RESULTS: 1,
    }


def test_the_recorder_never_sees_their_own_entry_awaiting_approval(world):
    (queue,) = [q for q in queues_for(world["approver"]) if q.title == APPROVALS]
    assert queue.count == 1
    assert [item.url for item in queue.items] == [
        f"/en/admin/funding/ledgerentry/?id__exact={world['theirs'].pk}"
    ]
    (queue,) = [q for q in queues_for(world["other_approver"]) if q.title == APPROVALS]
    assert [item.url for item in queue.items] == [
        f"/en/admin/funding/ledgerentry/?id__exact={world['own'].pk}"
    ]


def test_an_approved_or_reversed_entry_leaves_the_queue(world):
    services.approve_disbursement(entry=world["own"], approved_by=world["other_approver"])
    services.reverse_entry(entry=world["theirs"], reason="Typo.", recorded_by=world["approver"])
    boss = User.objects.create_superuser("boss")
    (queue,) = [q for q in queues_for(boss) if q.title == APPROVALS]
    assert queue.count == 0 and queue.items == []


def test_each_item_opens_the_page_of_its_action(world, client):
    boss = User.objects.create_superuser("boss")
    client.force_login(boss)
    for queue in queues_for(boss):
        for item in queue.items:
            response = client.get(item.url)
            assert response.status_code == 200, (queue.title, item.url)
            if "id__exact=" in item.url:
                # The record alone in its admin list, where its action is: not an empty list.
                assert response.context["cl"].result_count == 1, (queue.title, item.url)


def test_items_are_oldest_first_and_the_count_covers_those_not_shown(world):
    for days in range(12):
        NeedFactory(collected_on=DAY - datetime.timedelta(days=days))
    commission = staff_in("Health commission")
    (queue,) = [q for q in queues_for(commission) if q.title == NEEDS]
    assert queue.count == 13 and len(queue.items) == 10 and queue.more == 3
    dates = [item.since for item in queue.items]
    # The world's need, collected on 10 January, then the new ones from the oldest.
    assert dates == sorted(dates)
    assert dates[:2] == [datetime.date(2024, 1, 10), DAY - datetime.timedelta(days=11)]


def test_a_covered_disbursement_beyond_arrivals_leaves_the_queue(world):
    officer = staff_in("Finance officer")
    beyond = LedgerEntry.objects.get(beyond_arrivals=True)
    services.record_entry(
        project=beyond.project, type=ARRIVAL, date=DAY, amount=Decimal("300"), recorded_by=officer
    )
    assert ProjectFunding.objects.get(project=beyond.project).arrived == Decimal("300")
    (queue,) = [q for q in queues_for(officer) if q.title == BEYOND]
    assert queue.count == 0


def test_check_ledger_records_each_run_and_a_pass_clears_the_failures(world):
    officer = staff_in("Finance officer")
    call_command("check_ledger", stdout=None)
    run = LedgerCheck.objects.latest("ran_at")
    assert run.passed and run.difference_count == 0
    (queue,) = [q for q in queues_for(officer) if q.title == CHECKS]
    assert queue.count == 0
    ProjectFunding.objects.filter(project__code="DESK-2").update(disbursed=Decimal("1"))
    with pytest.raises(CommandError):
        call_command("check_ledger")
    failed = LedgerCheck.objects.latest("ran_at")
    assert not failed.passed and "DESK-2 disbursed" in failed.differences
    (queue,) = [q for q in queues_for(officer) if q.title == CHECKS]
    assert queue.count == 1


def test_the_desk_is_linked_from_every_admin_page_in_both_languages(world, client):
    client.force_login(staff_in("Programme staff"))
    assert 'href="/en/admin/desk/"' in client.get("/en/admin/").content.decode()
    page = client.get("/admin/desk/").content.decode()
    assert "工作台" in page and "等待发布的合作方进展" in page


def test_the_desk_asks_for_the_second_factor_like_every_admin_page(world, client):
    from tests.conftest import password_only_login

    password_only_login(client, User.objects.create_superuser("boss"))
    response = client.get(DESK)
    assert response.status_code == 302 and "/admin/second-factor/" in response["Location"]


def test_the_desk_makes_as_many_queries_for_many_items_as_for_few(
    world, client, django_assert_max_num_queries
):
    boss = User.objects.create_superuser("boss")
    client.force_login(boss)
    # The session, the user and the second factor, then one query per queue (nineteen).
    with django_assert_max_num_queries(22):
        assert client.get(DESK).status_code == 200
    for _ in range(15):
        NeedFactory()
        delivered_claim(DAY)
        large_arrival(ProjectFactory(), world["approver"], "more")
        FindingFactory(deadline=DAY)
    with django_assert_max_num_queries(22):
        assert client.get(DESK).status_code == 200
