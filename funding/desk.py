"""The ledger's queues on the staff desk (core.desks): approvals, partners' notes, disbursements
beyond arrivals and failed ledger checks, each for the finance staff who may act on it."""

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api.callers import Caller
from core.admin import money
from core.desks import Item, Queue, alone_in_list, queue
from funding import selectors
from funding.models import LedgerCheck, LedgerEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ENTRIES = "admin:funding_ledgerentry_changelist"


def entry_label(entry: LedgerEntry) -> str:
    return f"{entry.project.code} · {entry.get_type_display()} · ¥{money(entry.amount)}"


def _uncovered(entry: LedgerEntry) -> Item:
    add = reverse("admin:funding_ledgerentry_add")
    arrival = str(LedgerEntry.Type.INCOMING_FUNDS)
    query = urlencode({"project": str(entry.project_id), "type": arrival})
    return Item(entry_label(entry), f"{add}?{query}", entry.date, entry.reason)


def _failed_check(run: LedgerCheck) -> Item:
    differences = ngettext(
        "%(count)s total disagrees", "%(count)s totals disagree", run.difference_count
    ) % {"count": run.difference_count}
    return Item(
        str(run),
        reverse("admin:funding_ledgercheck_change", args=[run.pk]),
        run.ran_at,
        differences,
    )


def queues(user: "User") -> list[Queue]:
    caller = Caller(user=user)
    return [
        *queue(
            selectors.entries_awaiting_approval(caller),
            title=_("Arrivals and disbursements awaiting your approval"),
            action=_("approve or leave to another approver"),
            url=f"{reverse(ENTRIES)}?{urlencode({'needs_approval__exact': 1})}",
            item=lambda e: Item(
                entry_label(e), alone_in_list(ENTRIES, e.pk), e.recorded_at, e.voucher
            ),
        ),
        *queue(
            selectors.notes_awaiting_publication(caller),
            title=_("Partners' notes awaiting publication"),
            action=_("publish the note"),
            url=reverse(ENTRIES),
            item=lambda e: Item(
                entry_label(e), alone_in_list(ENTRIES, e.pk), e.recorded_at, e.note
            ),
        ),
        *queue(
            selectors.uncovered_beyond_arrivals(caller),
            title=_("Disbursements beyond arrivals not yet covered"),
            action=_("record the arrival that covers it"),
            url=f"{reverse(ENTRIES)}?{urlencode({'beyond_arrivals__exact': 1})}",
            item=_uncovered,
        ),
        *queue(
            selectors.failed_ledger_checks(caller),
            title=_("Failed ledger checks"),
            action=_("read what differs and correct it"),
            url=f"{reverse('admin:funding_ledgercheck_changelist')}?passed__exact=0",
            item=_failed_check,
        ),
    ]
