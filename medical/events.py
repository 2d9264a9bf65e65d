"""The change feed's public records of this app (changes.records): lists and their items once
published, bulletins once published, and the outreach records."""

from django.urls import reverse

from changes.records import Record
from medical.models import Bulletin, CallItem, CallList, CharityBatch, FreeClinic, HospitalFirst


def _medical_figures(record) -> str:
    return reverse("api:medical-outreach")


RECORDS = [
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
