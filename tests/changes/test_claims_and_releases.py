"""Claims and results releases have no change history: their services write the feed's event
in the same transaction as each step, and a refused step writes none."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from api.keys import issue_api_key
from changes.models import Event
from changes.records import event_types
from education import services as education
from education.services import ReleaseRefused
from medical import services as medical
from medical.models import CallList, Claim
from medical.services import ClaimRefused, InvalidTransition
from tests.education.factories import CohortFactory, ExamFactory, enrol_with_results
from tests.factories import OrganisationFactory
from tests.medical.factories import donor_side, published_item

pytestmark = pytest.mark.django_db

CLAIMED_ON = datetime.date(2024, 1, 5)


def claim_events(claim: Claim) -> list[tuple[str, list[str], bool]]:
    return [
        (event.type, event.changed_fields, event.public)
        for event in Event.objects.filter(
            resource="medical_claim", resource_id=str(claim.pk)
        ).order_by("id")
    ]


def new_claim() -> Claim:
    item = published_item()
    return medical.claim_item(item=item, organisation=donor_side(item), on=CLAIMED_ON)


def test_claims_and_releases_have_their_event_types():
    assert {"medical_claim.created", "medical_claim.updated", "results_release.posted"} <= set(
        event_types()
    )


def test_a_claim_a_report_a_delivery_and_a_verification_each_write_their_event():
    claim = new_claim()
    medical.add_report(claim=claim, date=timezone.localdate(), text="进展")
    medical.deliver_claim(claim=claim, on=timezone.localdate(), summary="Delivered")
    medical.verify_claim(claim=claim, score=90)

    assert claim_events(claim) == [
        ("medical_claim.created", ["claimed_on", "item", "organisation", "status"], True),
        # A progress report is the claim's private part: its organisation's own event.
        ("medical_claim.updated", ["reports"], False),
        ("medical_claim.updated", ["delivered_on", "status"], True),
        ("medical_claim.updated", ["status"], True),
    ]
    report = Event.objects.get(resource="medical_claim", changed_fields=["reports"])
    assert list(report.organisations.all()) == [claim.organisation]
    assert report.path == f"/api/v1/medical/claims/{claim.pk}/"


def test_a_return_and_a_withdrawal_write_their_event():
    claim = new_claim()
    medical.deliver_claim(claim=claim, on=timezone.localdate(), summary="Delivered")
    medical.return_claim(claim=claim, note="The invoices are missing.")
    medical.withdraw_claim(claim=claim)

    assert [fields for _type, fields, _public in claim_events(claim)][2:] == [
        ["status"],
        ["status"],
    ]
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.WITHDRAWN


def test_a_refused_step_writes_no_event():
    item = published_item()
    organisation = donor_side(item)
    claim = medical.claim_item(item=item, organisation=organisation, on=CLAIMED_ON)
    before = Event.objects.count()

    with pytest.raises(ClaimRefused):
        medical.claim_item(item=item, organisation=organisation, on=CLAIMED_ON)
    with pytest.raises(ClaimRefused):
        # The issuer does not claim its own list's items.
        medical.claim_item(item=item, organisation=item.call_list.issuer, on=CLAIMED_ON)
    with pytest.raises(InvalidTransition):
        medical.verify_claim(claim=claim, score=90)  # not delivered
    with pytest.raises(ValidationError):
        # Delivered without evidence: refused after the step was taken, and rolled back whole.
        medical.deliver_claim(claim=claim, on=timezone.localdate())
    with pytest.raises(ValidationError):
        medical.add_report(claim=claim, date=CLAIMED_ON - datetime.timedelta(days=1), text="x")

    assert Event.objects.count() == before
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.ACTIVE


def test_a_claim_on_a_list_not_public_is_its_organisation_s_own():
    claim = new_claim()
    # However it came to be, a claim whose list the public does not see is not public news.
    CallList.objects.filter(pk=claim.item.call_list_id).update(status=CallList.Status.DRAFT)
    medical.withdraw_claim(claim=Claim.objects.get(pk=claim.pk))

    assert claim_events(claim)[-1] == ("medical_claim.updated", ["status"], False)


def bearer(raw: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")


def feed_types(client: Client) -> list[tuple[str, str]]:
    response = client.get("/api/v1/changes/")
    assert response.status_code == 200, response.content
    return [
        (event["type"], event["resource_id"])
        for event in response.json()["results"]
        if event["type"].startswith("medical_claim.")
    ]


def test_a_private_claim_event_is_read_by_the_claiming_organisation_s_key_only(settled):
    claim = new_claim()
    medical.add_report(claim=claim, date=timezone.localdate(), text="进展")
    settled()
    own = bearer(issue_api_key(organisation=claim.organisation, name="read")[1])
    other = bearer(issue_api_key(organisation=OrganisationFactory(), name="read")[1])
    pk = str(claim.pk)

    assert feed_types(own) == [("medical_claim.created", pk), ("medical_claim.updated", pk)]
    assert feed_types(other) == [("medical_claim.created", pk)]
    assert feed_types(Client()) == [("medical_claim.created", pk)]


@pytest.fixture
def results():
    """A class with six results for an exam: enough to release."""
    cohort, exam = CohortFactory(), ExamFactory()
    enrol_with_results(cohort, exam, [600, 650, 700, 750, 800, 850])
    return {"cohort": cohort, "exam": exam}


def test_a_results_release_writes_a_public_event(results):
    release = education.release_results(**results, released_by=None)

    event = Event.objects.get(type="results_release.posted")
    assert (event.resource_id, event.public) == (str(release.pk), True)
    assert event.changed_fields == ["figures"]
    assert event.path == f"/api/v1/education/cohorts/{results['cohort'].pk}/stats/"


def test_a_refused_release_writes_no_event(results):
    education.release_results(**results, released_by=None)

    with pytest.raises(ReleaseRefused):
        # The same figures again publish nothing new.
        education.release_results(**results, released_by=None)

    assert Event.objects.filter(type="results_release.posted").count() == 1


def test_the_demo_s_claims_and_releases_have_events_and_a_second_load_writes_none(demo_data):
    loaded = Event.objects.count()
    assert Event.objects.filter(type="medical_claim.created").exists()
    assert Event.objects.filter(type="results_release.posted").exists()

    call_command("load_demo", stdout=io.StringIO())

    assert Event.objects.count() == loaded
