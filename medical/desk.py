"""揭榜援藏's queues on the staff desk (core.desks): deliveries to verify, needs to triage and
lists to close, each for the health commission staff who may act on it."""

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from api.callers import Caller
from core.desks import Item, Queue, alone_in_list, oldest_first
from medical import selectors

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def queues(user: "User") -> list[Queue]:
    caller = Caller(user=user)
    found = []
    deliveries = selectors.deliveries_awaiting_verification(caller)
    if deliveries is not None:
        count, claims = oldest_first(deliveries)
        verify = reverse("admin:medical_verification_add")
        found.append(
            Queue(
                title=_("Deliveries awaiting verification"),
                action=_("verify with a score, or return"),
                count=count,
                items=[
                    Item(
                        str(claim),
                        f"{verify}?{urlencode({'claim': claim.pk})}",
                        claim.delivered_on or claim.claimed_on,
                    )
                    for claim in claims
                ],
                url=f"{reverse('admin:medical_claim_changelist')}?status__exact=delivered",
            )
        )
    needs = selectors.needs_awaiting_triage(caller)
    if needs is not None:
        count, rows = oldest_first(needs)
        found.append(
            Queue(
                title=_("Needs awaiting triage"),
                action=_("accept or reject"),
                count=count,
                items=[
                    Item(
                        str(need),
                        alone_in_list("admin:medical_need_changelist", need.pk),
                        need.collected_on,
                        str(need.requested_by),
                    )
                    for need in rows
                ],
                url=f"{reverse('admin:medical_need_changelist')}?status__exact=collected",
            )
        )
    lists = selectors.lists_past_claim_deadline(caller)
    if lists is not None:
        count, call_lists = oldest_first(lists)
        found.append(
            Queue(
                title=_("Lists past their claim deadline, still open"),
                action=_("close and freeze the ranking"),
                count=count,
                items=[
                    Item(
                        str(call_list),
                        alone_in_list("admin:medical_calllist_changelist", call_list.pk),
                        call_list.claim_deadline,
                    )
                    for call_list in call_lists
                ],
                url=f"{reverse('admin:medical_calllist_changelist')}?status__exact=published",
            )
        )
    return found
