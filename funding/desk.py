"""The ledger's queues on the staff desk (core.desks): approvals, partners' notes, disbursements
beyond arrivals and failed ledger checks, each for the finance staff who may act on it."""

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api.callers import Caller
from core.admin import money
from core.desks import Item, Queue, alone_in_list, oldest_first
from funding import selectors
from funding.models import LedgerEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ENTRIES = "admin:funding_ledgerentry_changelist"


def entry_label(entry: LedgerEntry) -> str:
    return f"{entry.project.code} · {entry.get_type_display()} · ¥{money(entry.amount)}"


def queues(user: "User") -> list[Queue]:
    caller = Caller(user=user)
    found = []
    awaiting = selectors.entries_awaiting_approval(caller)
    if awaiting is not None:
        count, entries = oldest_first(awaiting)
        found.append(
            Queue(
                title=_("Arrivals and disbursements awaiting your approval"),
                action=_("approve or leave to another approver"),
                count=count,
                items=[
                    Item(entry_label(e), alone_in_list(ENTRIES, e.pk), e.recorded_at, e.voucher)
                    for e in entries
                ],
                url=f"{reverse(ENTRIES)}?{urlencode({'needs_approval__exact': 1})}",
            )
        )
    notes = selectors.notes_awaiting_publication(caller)
    if notes is not None:
        count, entries = oldest_first(notes)
        found.append(
            Queue(
                title=_("Partners' notes awaiting publication"),
                action=_("publish the note"),
                count=count,
                items=[
                    Item(entry_label(e), alone_in_list(ENTRIES, e.pk), e.recorded_at, e.note)
                    for e in entries
                ],
                url=reverse(ENTRIES),
            )
        )
    beyond = selectors.uncovered_beyond_arrivals(caller)
    if beyond is not None:
        count, entries = oldest_first(beyond)
        add = reverse("admin:funding_ledgerentry_add")
        arrival = str(LedgerEntry.Type.INCOMING_FUNDS)
        found.append(
            Queue(
                title=_("Disbursements beyond arrivals not yet covered"),
                action=_("record the arrival that covers it"),
                count=count,
                items=[
                    Item(
                        entry_label(e),
                        f"{add}?{urlencode({'project': str(e.project_id), 'type': arrival})}",
                        e.date,
                        e.reason,
                    )
                    for e in entries
                ],
                url=f"{reverse(ENTRIES)}?{urlencode({'beyond_arrivals__exact': 1})}",
            )
        )
    checks = selectors.failed_ledger_checks(caller)
    if checks is not None:
        count, runs = oldest_first(checks)
        found.append(
            Queue(
                title=_("Failed ledger checks"),
                action=_("read what differs and correct it"),
                count=count,
                items=[
                    Item(
                        str(run),
                        reverse("admin:funding_ledgercheck_change", args=[run.pk]),
                        run.ran_at,
                        ngettext(
                            "%(count)s total disagrees",
                            "%(count)s totals disagree",
                            run.difference_count,
                        )
                        % {"count": run.difference_count},
                    )
                    for run in runs
                ],
                url=f"{reverse('admin:funding_ledgercheck_changelist')}?passed__exact=0",
            )
        )
    return found
