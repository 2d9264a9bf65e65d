"""The change feed's public records of this app (changes.records): budget lines, donations,
and ledger entries, which are only ever posted (`funding.services` records their event)."""

from collections.abc import Callable

from django.urls import reverse

from changes.records import POSTED, Record
from funding.models import BudgetLine, Donation, LedgerEntry
from projects.events import participants, project_path


def entry_paths() -> Callable[[int], str]:
    """Entries' addresses in the API for a bulk import: reversed once, then completed per id
    (the pattern ends in `<int:pk>/`), instead of a reverse() per entry."""
    prefix = reverse("api:ledger-entry-detail", kwargs={"pk": 0}).removesuffix("0/")
    return lambda pk: f"{prefix}{pk}/"


LEDGER_ENTRY = Record(
    LedgerEntry,
    "ledger_entry",
    path=lambda entry: reverse("api:ledger-entry-detail", kwargs={"pk": entry.pk}),
    published=lambda entry: entry.project.published,
    organisations=lambda entry: participants(entry.project),
    types=(POSTED,),
)

RECORDS = [
    LEDGER_ENTRY,
    Record(
        BudgetLine,
        "budget_line",
        path=lambda line: project_path(line.project),
        published=lambda line: line.project.published,
        organisations=lambda line: participants(line.project),
    ),
    Record(
        Donation,
        "donation",
        path=lambda donation: reverse("api:donation-detail", kwargs={"pk": donation.pk}),
        published=lambda donation: donation.published,
    ),
]
