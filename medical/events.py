"""The change feed's public records of this app (changes.records): lists and their items once
published, claims on a published list, bulletins once published, and the outreach records.

Claims have no change history: `medical.services` records their events at each step (a claim,
a progress report, a delivery, a verification, a return, a withdrawal)."""

from django.urls import reverse

from changes.records import CREATED, UPDATED, Record
from medical.models import (
    Bulletin,
    CallItem,
    CallList,
    CharityBatch,
    Claim,
    FreeClinic,
    HospitalFirst,
)
from medical.selectors import PUBLIC_LIST_STATUSES


def _medical_figures(record) -> str:
    return reverse("api:medical-outreach")


# As `medical.selectors.visible_claims`: a claim is public once its list is (published or
# closed); until then only its organisation reads it.
CLAIM = Record(
    Claim,
    "medical_claim",
    path=lambda claim: reverse("api:medical-claim-detail", kwargs={"pk": claim.pk}),
    published=lambda claim: claim.item.call_list.status in PUBLIC_LIST_STATUSES,
    organisations=lambda claim: (claim.organisation_id,),
    types=(CREATED, UPDATED),
)

RECORDS = [
    CLAIM,
    Record(
        CallList,
        "medical_list",
        path=lambda call_list: reverse("api:medical-list-detail", kwargs={"pk": call_list.pk}),
        published=lambda call_list: call_list.status != CallList.Status.DRAFT,
    ),
    Record(
        CallItem,
        "medical_item",
        path=lambda item: reverse("api:medical-item-detail", kwargs={"pk": item.pk}),
        published=lambda item: item.call_list.status != CallList.Status.DRAFT,
    ),
    Record(
        Bulletin,
        "medical_bulletin",
        path=_medical_figures,
        published=lambda bulletin: bulletin.published,
    ),
    Record(FreeClinic, "free_clinic", path=_medical_figures),
    Record(CharityBatch, "charity_batch", path=_medical_figures),
    Record(HospitalFirst, "hospital_first", path=_medical_figures),
]
