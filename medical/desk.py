"""揭榜援藏's queues on the staff desk (core.desks): deliveries to verify, needs to triage and
lists to close, each for the health commission staff who may act on it."""

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from api.callers import Caller
from core.desks import Item, Queue, alone_in_list, queue
from medical import selectors

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def queues(user: "User") -> list[Queue]:
    caller = Caller(user=user)
    verify = reverse("admin:medical_verification_add")
    return [
        *queue(
            selectors.deliveries_awaiting_verification(caller),
            title=_("Deliveries awaiting verification"),
            action=_("verify with a score, or return"),
            url=f"{reverse('admin:medical_claim_changelist')}?status__exact=delivered",
            item=lambda claim: Item(
                str(claim),
                f"{verify}?{urlencode({'claim': claim.pk})}",
                claim.delivered_on or claim.claimed_on,
            ),
        ),
        *queue(
            selectors.needs_awaiting_triage(caller),
            title=_("Needs awaiting triage"),
            action=_("accept or reject"),
            url=f"{reverse('admin:medical_need_changelist')}?status__exact=collected",
            item=lambda need: Item(
                str(need),
                alone_in_list("admin:medical_need_changelist", need.pk),
                need.collected_on,
                str(need.requested_by),
            ),
        ),
        *queue(
            selectors.lists_past_claim_deadline(caller),
            title=_("Lists past their claim deadline, still open"),
            action=_("close and freeze the ranking"),
            url=f"{reverse('admin:medical_calllist_changelist')}?status__exact=published",
            item=lambda call_list: Item(
                str(call_list),
                alone_in_list("admin:medical_calllist_changelist", call_list.pk),
                call_list.claim_deadline,
            ),
        ),
    ]
