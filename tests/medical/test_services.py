import datetime
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from medical import selectors, services
from medical.models import (
    CallItem,
    CallList,
    Category,
    Claim,
    LeaderboardSnapshot,
    Need,
    Transition,
)
from medical.services import ClaimRefused, InvalidTransition
from tests.factories import OrganisationFactory
from tests.medical.factories import (
    CallItemFactory,
    CallListFactory,
    NeedFactory,
    donor_side,
    published_item,
)

pytestmark = pytest.mark.django_db

# The tables as the issue describes them, written out by hand: (status, action) → new status.
CLAIM_ALLOWED = {
    ("active", "report"): "active",
    ("returned", "report"): "returned",
    ("active", "deliver"): "delivered",
    ("returned", "deliver"): "delivered",
    ("delivered", "return"): "returned",
    ("delivered", "verify"): "verified",
    ("active", "withdraw"): "withdrawn",
    ("returned", "withdraw"): "withdrawn",
}
ITEM_ALLOWED = {
    ("open", "claim"): "claimed",
    ("claimed", "claim"): "claimed",
    ("claimed", "release"): "open",
    ("in_progress", "release"): "open",
    ("returned", "release"): "open",
    ("claimed", "start"): "in_progress",
    ("returned", "start"): "in_progress",
    ("in_progress", "deliver"): "delivered",
    ("delivered", "return"): "returned",
    ("delivered", "verify"): "verified",
    ("verified", "close"): "closed",
    ("open", "cancel"): "cancelled",
    ("claimed", "cancel"): "cancelled",
    ("in_progress", "cancel"): "cancelled",
    ("returned", "cancel"): "cancelled",
}
LIST_ALLOWED = {("draft", "publish"): "published", ("published", "close"): "closed"}
NEED_ALLOWED = {
    ("collected", "accept"): "accepted",
    ("collected", "reject"): "rejected",
    ("accepted", "reject"): "rejected",
    ("accepted", "list"): "listed",
}

# What each claim status implies for its item and its delivery date.
CLAIM_SETUP = {
    "active": ("claimed", None),
    "delivered": ("delivered", datetime.date(2024, 2, 1)),
    "returned": ("returned", datetime.date(2024, 2, 1)),
    "verified": ("verified", datetime.date(2024, 2, 1)),
    "withdrawn": ("open", None),
}


def _claim_in(status: str) -> Claim:
    item = published_item()
    claim = services.claim_item(
        item=item, organisation=donor_side(item), on=datetime.date(2024, 1, 5)
    )
    item_status, delivered_on = CLAIM_SETUP[status]
    Claim.objects.filter(pk=claim.pk).update(status=status, delivered_on=delivered_on)
    CallItem.objects.filter(pk=item.pk).update(
        status=item_status, active_claims=0 if status == "withdrawn" else 1
    )
    return Claim.objects.get(pk=claim.pk)


CLAIM_ACTIONS = {
    "report": lambda claim, user: services.add_report(
        claim=claim, date=timezone.localdate(), text="进展", user=user
    ),
    "deliver": lambda claim, user: services.deliver_claim(
        claim=claim, on=datetime.date(2024, 3, 1), summary="已交付", user=user
    ),
    "return": lambda claim, user: services.return_claim(claim=claim, note="缺报告", user=user),
    "verify": lambda claim, user: services.verify_claim(claim=claim, score=80, user=user),
    "withdraw": lambda claim, user: services.withdraw_claim(claim=claim, user=user),
}


@pytest.mark.parametrize(
    "status,action", list(itertools.product(Claim.Status.values, CLAIM_ACTIONS))
)
def test_claim_transition_table(status, action):
    claim = _claim_in(status)
    user = User.objects.create_user("verifier", is_staff=True)
    logged = Transition.objects.count()
    expected = CLAIM_ALLOWED.get((status, action))
    if expected is None:
        with pytest.raises(InvalidTransition) as refused:
            CLAIM_ACTIONS[action](claim, user)
        assert claim.get_status_display() in str(refused.value)
        claim.refresh_from_db()
        assert claim.status == status
        assert Transition.objects.count() == logged
        return
    CLAIM_ACTIONS[action](claim, user)
    claim.refresh_from_db()
    assert claim.status == expected
    if expected != status:
        move = Transition.objects.filter(entity="claim", object_id=claim.pk).latest("id")
        assert (move.action, move.from_status, move.to_status, move.user) == (
            action,
            status,
            expected,
            user,
        )


@pytest.mark.parametrize(
    "status,action",
    list(itertools.product(CallItem.Status.values, services.ITEM_TRANSITIONS)),
)
def test_item_transition_table(status, action):
    item = CallItemFactory(status=status)
    user = User.objects.create_user("staff", is_staff=True)
    expected = ITEM_ALLOWED.get((status, action))
    with transaction.atomic():
        if expected is None:
            with pytest.raises(InvalidTransition):
                services._move(item, action, user=user)
        else:
            services._move(item, action, user=user)
    item.refresh_from_db()
    assert item.status == (expected or status)
    moved = Transition.objects.filter(entity="item", object_id=item.pk)
    assert moved.count() == (1 if expected and expected != status else 0)


def test_every_item_action_is_in_the_expected_table():
    assert set(services.ITEM_TRANSITIONS) == {action for _status, action in ITEM_ALLOWED}
    assert set(services.CLAIM_TRANSITIONS) == set(CLAIM_ACTIONS)


@pytest.mark.parametrize(
    "status,action", list(itertools.product(CallList.Status.values, ("publish", "close")))
)
def test_list_transition_table(status, action):
    call_list = CallListFactory(
        status=status, published_on=None if status == "draft" else datetime.date(2024, 1, 1)
    )
    CallItemFactory(call_list=call_list)
    run = {"publish": services.publish_list, "close": services.close_list}[action]
    expected = LIST_ALLOWED.get((status, action))
    if expected is None:
        with pytest.raises(InvalidTransition):
            run(call_list=call_list)
    else:
        run(call_list=call_list)
    call_list.refresh_from_db()
    assert call_list.status == (expected or status)
    assert LeaderboardSnapshot.objects.filter(call_list=call_list).exists() == (
        expected == "closed"
    )


@pytest.mark.parametrize(
    "status,action", list(itertools.product(Need.Status.values, ("accept", "reject", "list")))
)
def test_need_transition_table(status, action):
    need = NeedFactory(status=status)
    expected = NEED_ALLOWED.get((status, action))
    call_list = CallListFactory(programme=need.programme)

    def run():
        if action == "list":
            services.add_item(
                call_list=call_list, needs=[need], number=1, title="项", category="treatment"
            )
        else:
            {"accept": services.accept_need, "reject": services.reject_need}[action](need=need)

    if expected is None:
        with pytest.raises(InvalidTransition):
            run()
    else:
        run()
    need.refresh_from_db()
    assert need.status == (expected or status)


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def test_claims_are_refused_in_the_callers_language():
    item = CallItemFactory()
    with translation.override("zh-hans"), pytest.raises(ClaimRefused, match="只有已发布的榜单"):
        services.claim_item(item=item, organisation=donor_side(item))


def test_claims_respect_list_status_deadline_and_issuer(english):
    item = published_item(claim_deadline=datetime.date(2024, 3, 31))
    organisation = donor_side(item)
    draft_item = CallItemFactory(call_list__programme=item.call_list.programme)
    with pytest.raises(ClaimRefused, match="published"):
        services.claim_item(item=draft_item, organisation=organisation)
    with pytest.raises(ClaimRefused, match="2024-03-31"):
        services.claim_item(item=item, organisation=organisation, on=datetime.date(2024, 4, 1))
    with pytest.raises(ClaimRefused, match="issuer"):
        services.claim_item(
            item=item, organisation=item.call_list.issuer, on=datetime.date(2024, 3, 1)
        )
    services.claim_item(item=item, organisation=organisation, on=datetime.date(2024, 3, 31))
    services.close_list(call_list=item.call_list)
    other = CallItemFactory(call_list=item.call_list)
    with pytest.raises(ClaimRefused, match="closed"):
        services.claim_item(item=other, organisation=organisation, on=datetime.date(2024, 3, 1))
    assert Claim.objects.count() == 1


def test_only_the_donor_side_claims_whatever_the_depth(english):
    """The donor organisation and its whole tree claim; the partner side and outsiders are
    refused with a reason, however they are typed or named."""
    item = published_item(max_claimants=5)
    programme = item.call_list.programme
    on = datetime.date(2024, 2, 1)
    # The partner district's hospital (a public body) and its health bureau (a child of the
    # partner government) asked for the help: neither claims it.
    partner_hospital = OrganisationFactory(type="public_body")
    partner_bureau = OrganisationFactory(parent=programme.partner)
    outsider = OrganisationFactory()
    for organisation in (programme.partner, partner_bureau, partner_hospital, outsider):
        with pytest.raises(ClaimRefused, match="Only the donor side"):
            services.claim_item(item=item, organisation=organisation, on=on)
    assert Claim.objects.count() == 0
    district = OrganisationFactory(parent=programme.donor)
    hospital = OrganisationFactory(parent=district)
    clinic = OrganisationFactory(parent=hospital)
    for organisation in (programme.donor, district, hospital, clinic):
        services.claim_item(item=item, organisation=organisation, on=on)
    assert set(Claim.objects.values_list("organisation", flat=True)) == {
        programme.donor.pk,
        district.pk,
        hospital.pk,
        clinic.pk,
    }


def test_a_loop_in_the_parents_does_not_hang_the_check(english):
    item = published_item()
    a = OrganisationFactory()
    b = OrganisationFactory(parent=a)
    a.parent = b
    a.save()
    with pytest.raises(ClaimRefused, match="Only the donor side"):
        services.claim_item(item=item, organisation=a, on=datetime.date(2024, 2, 1))


def test_places_and_one_claim_per_organisation(english):
    item = published_item(max_claimants=2)
    first, second, third = (donor_side(item) for _ in range(3))
    on = datetime.date(2024, 2, 1)
    claim = services.claim_item(item=item, organisation=first, on=on)
    with pytest.raises(ClaimRefused, match="already holds"):
        services.claim_item(item=item, organisation=first, on=on)
    services.claim_item(item=item, organisation=second, on=on)
    with pytest.raises(ClaimRefused, match="Every place"):
        services.claim_item(item=item, organisation=third, on=on)
    # A withdrawn claim gives its place back, and its organisation may claim again.
    services.withdraw_claim(claim=claim)
    services.claim_item(item=item, organisation=first, on=on)
    item.refresh_from_db()
    assert item.active_claims == 2 and item.status == "claimed"


def test_the_database_refuses_overfilling_and_double_claims_on_its_own():
    item = published_item()
    organisation = OrganisationFactory()
    Claim.objects.create(item=item, organisation=organisation, claimed_on=datetime.date(2024, 2, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(
            item=item, organisation=organisation, claimed_on=datetime.date(2024, 2, 1)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CallItem.objects.filter(pk=item.pk).update(active_claims=2)


def test_the_full_cycle_moves_the_item_and_logs_who():
    item = published_item()
    organisation = donor_side(item)
    staff = User.objects.create_user("hc", is_staff=True)
    claim = services.claim_item(item=item, organisation=organisation, on=datetime.date(2024, 1, 5))
    services.add_report(claim=claim, date=datetime.date(2024, 1, 20), text="开展中")
    item.refresh_from_db()
    assert item.status == "in_progress"
    services.deliver_claim(claim=claim, on=datetime.date(2024, 2, 1), summary="已交付")
    services.return_claim(claim=claim, note="补充培训记录", user=staff)
    item.refresh_from_db()
    assert item.status == "returned"
    services.deliver_claim(claim=claim, on=datetime.date(2024, 2, 10), summary="已交付")
    services.verify_claim(claim=claim, score=90, note="好", user=staff)
    item.refresh_from_db()
    claim.refresh_from_db()
    assert (item.status, claim.status, claim.delivered_on) == (
        "verified",
        "verified",
        datetime.date(2024, 2, 10),
    )
    steps = list(
        Transition.objects.filter(entity="item", object_id=item.pk).values_list(
            "from_status", "to_status"
        )
    )
    assert steps == [
        ("open", "claimed"),
        ("claimed", "in_progress"),
        ("in_progress", "delivered"),
        ("delivered", "returned"),
        ("returned", "in_progress"),
        ("in_progress", "delivered"),
        ("delivered", "verified"),
    ]


def test_an_item_is_delivered_only_when_every_claimant_has():
    item = published_item(max_claimants=2)
    on = datetime.date(2024, 2, 1)
    a = services.claim_item(item=item, organisation=donor_side(item), on=on)
    b = services.claim_item(item=item, organisation=donor_side(item), on=on)
    services.deliver_claim(claim=a, on=on, summary="已交付")
    item.refresh_from_db()
    assert item.status == "in_progress"
    services.deliver_claim(claim=b, on=on, summary="已交付")
    item.refresh_from_db()
    assert item.status == "delivered"
    services.verify_claim(claim=a, score=50)
    item.refresh_from_db()
    assert item.status == "delivered"
    services.verify_claim(claim=b, score=50)
    item.refresh_from_db()
    assert item.status == "verified"


def test_verification_score_must_be_0_to_100():
    claim = _claim_in("delivered")
    with pytest.raises(ValidationError):
        services.verify_claim(claim=claim, score=101)


# ---------------------------------------------------------------------------------------------
# The leaderboard on a hand-computed example


def _at(day: int) -> datetime.datetime:
    return datetime.datetime(2024, 7, day, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def batch():
    call_list = CallListFactory(
        claim_deadline=datetime.date(2024, 5, 31), delivery_deadline=datetime.date(2024, 6, 30)
    )
    call_list.status, call_list.published_on = "published", datetime.date(2024, 5, 1)
    call_list.save()
    donor = call_list.programme.donor
    orgs = {
        code: OrganisationFactory(code=code, parent=donor)
        for code in ("a-org", "b-org", "c-org", "e-org")
    }

    def cycle(number, category, org, delivered, score, verified_day, due=None):
        item = CallItemFactory(call_list=call_list, number=number, category=category, due_on=due)
        claim = services.claim_item(item=item, organisation=orgs[org], on=datetime.date(2024, 5, 2))
        if delivered:
            services.deliver_claim(claim=claim, on=delivered, summary="已交付")
        if score is not None:
            services.verify_claim(claim=claim, score=score, at=_at(verified_day))
        return claim

    # a: treatment 10 + on time 5 + 80/10 = 23.0, verified 2 July.
    cycle(1, Category.TREATMENT, "a-org", datetime.date(2024, 6, 1), 80, 2)
    # b: training 8 + late 0 + 100/10 = 18.0, and donation 6 + 5 + 0 = 11.0: 29.0 in all.
    cycle(2, Category.TRAINING, "b-org", datetime.date(2024, 7, 15), 100, 20)
    cycle(3, Category.DONATION, "b-org", datetime.date(2024, 6, 10), 0, 21)
    # c: specialty 12, due on its own date 1 June and delivered then: + 5 + 60/10 = 23.0,
    # verified 1 July: ties with a on points, verified and on-time rate, and wins on the
    # earlier last verification.
    cycle(
        4, Category.SPECIALTY, "c-org", datetime.date(2024, 6, 1), 60, 1, datetime.date(2024, 6, 1)
    )
    # e: claimed, nothing delivered.
    cycle(5, Category.OTHER, "e-org", None, None, None)
    return call_list


def _table(rows):
    return [
        (r.rank, r.organisation.code, r.claimed, r.delivered, r.verified, r.on_time_rate, r.points)
        for r in rows
    ]


EXPECTED = [
    (1, "b-org", 2, 2, 2, Decimal("0.5"), Decimal("29.0")),
    (2, "c-org", 1, 1, 1, Decimal("1"), Decimal("23.0")),
    (3, "a-org", 1, 1, 1, Decimal("1"), Decimal("23.0")),
    (4, "e-org", 1, 0, 0, None, Decimal("0.0")),
]


def test_leaderboard_hand_computed_with_a_tie(batch):
    assert _table(selectors.batch_leaderboard(batch)) == EXPECTED


def test_organisation_code_breaks_a_complete_tie():
    call_list = CallListFactory()
    rows = [
        selectors.BoardRow(organisation=OrganisationFactory(code=code), claimed=1)
        for code in ("zz", "aa", "mm")
    ]
    assert [row.organisation.code for row in selectors.ranked(rows)] == ["aa", "mm", "zz"]
    assert call_list.status == "draft"


def test_a_closed_batch_is_frozen(batch):
    services.close_list(call_list=batch, at=_at(25))
    # A later correction changes the live figures, not the batch's history.
    Claim.objects.filter(organisation__code="e-org").update(status="withdrawn")
    CallItem.objects.filter(call_list=batch, number=2).update(due_on=datetime.date(2024, 8, 1))
    batch.refresh_from_db()
    assert _table(selectors.batch_leaderboard(batch)) == EXPECTED
    live = _table(selectors.live_leaderboard(call_lists=[batch]))
    assert live[0] == (1, "b-org", 2, 2, 2, Decimal("1"), Decimal("34.0"))
    overall = _table(selectors.overall_leaderboard(batch.programme))
    assert overall == EXPECTED


def test_a_delivery_carries_a_summary_or_progress_reports():
    item = published_item()
    claim = services.claim_item(item=item, organisation=donor_side(item))

    with pytest.raises(ValidationError) as refused:
        services.deliver_claim(claim=claim, summary="  ")

    assert "summary" in refused.value.message_dict
    claim.refresh_from_db()
    assert claim.status == "active"
    services.add_report(claim=claim, date=timezone.localdate(), text="培训完成，附签到表")
    services.deliver_claim(claim=claim)
    claim.refresh_from_db()
    assert claim.status == "delivered"
