"""Every change of status in 揭榜援藏, and the one place its rules live.

Each entity has one transition table below: for every action, the statuses it may start from
and the status it leads to. `_move` is the only code that changes a status: it refuses any pair
the table does not hold (InvalidTransition, a 409 `invalid-transition` in the API, an error
message in the admin) and records who and when in `Transition`.

Places on an item: a claim locks the item row (`SELECT … FOR UPDATE`), so parallel claims queue
on it and each sees the count the previous one left in `CallItem.active_claims`. A CHECK keeps
`active_claims <= max_claimants` and a partial unique index keeps one claim per organisation
and item (withdrawn claims aside), so no interleaving can overfill an item or double a claim.
Lock order is always list, then item, then claim.

Claims have no change history: each step of a claim records its change-feed event here, in the
transaction that takes it (`_announce`), and a refused step rolls back with its event.
"""

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiKey
from changes.records import CREATED, UPDATED
from changes.services import record_event
from core.exceptions import Conflict
from medical.events import CLAIM
from medical.models import (
    Bulletin,
    CallItem,
    CallList,
    Claim,
    LeaderboardRow,
    LeaderboardSnapshot,
    Need,
    ProgressReport,
    Transition,
    Verification,
)
from reference.dates import check_reported_date
from reference.models import Organisation
from reference.selectors import within_organisation

if TYPE_CHECKING:
    from django.contrib.auth.models import User

M = TypeVar("M", bound=models.Model)
# What has a status that moves through a transition table.
Record = Need | CallList | CallItem | Claim


class InvalidTransition(Conflict):
    """The record's status does not allow the action."""

    code = "invalid-transition"


class ClaimRefused(Conflict):
    """An item that cannot be claimed now, or not by this organisation."""

    code = "claim-refused"


NeedStatus, ListStatus, ItemStatus, ClaimStatus = (
    Need.Status,
    CallList.Status,
    CallItem.Status,
    Claim.Status,
)

# action → {from status: to status}. Whatever is not here is refused.
Transitions = dict[str, dict[str, str]]
NEED_TRANSITIONS: Transitions = {
    "accept": {NeedStatus.COLLECTED: NeedStatus.ACCEPTED},
    "reject": {NeedStatus.COLLECTED: NeedStatus.REJECTED, NeedStatus.ACCEPTED: NeedStatus.REJECTED},
    "list": {NeedStatus.ACCEPTED: NeedStatus.LISTED},
}
LIST_TRANSITIONS: Transitions = {
    "publish": {ListStatus.DRAFT: ListStatus.PUBLISHED},
    "close": {ListStatus.PUBLISHED: ListStatus.CLOSED},
}
ITEM_TRANSITIONS: Transitions = {
    # A claim while places remain keeps the item claimed.
    "claim": {ItemStatus.OPEN: ItemStatus.CLAIMED, ItemStatus.CLAIMED: ItemStatus.CLAIMED},
    # The last claim holding a place was withdrawn before any delivery.
    "release": {
        ItemStatus.CLAIMED: ItemStatus.OPEN,
        ItemStatus.IN_PROGRESS: ItemStatus.OPEN,
        ItemStatus.RETURNED: ItemStatus.OPEN,
    },
    # A first progress report, or work resumed after a delivery was returned.
    "start": {
        ItemStatus.CLAIMED: ItemStatus.IN_PROGRESS,
        ItemStatus.RETURNED: ItemStatus.IN_PROGRESS,
    },
    # Every claim holding a place has delivered.
    "deliver": {ItemStatus.IN_PROGRESS: ItemStatus.DELIVERED},
    "return": {ItemStatus.DELIVERED: ItemStatus.RETURNED},
    # Every claim holding a place is verified.
    "verify": {ItemStatus.DELIVERED: ItemStatus.VERIFIED},
    "close": {ItemStatus.VERIFIED: ItemStatus.CLOSED},
    "cancel": {
        ItemStatus.OPEN: ItemStatus.CANCELLED,
        ItemStatus.CLAIMED: ItemStatus.CANCELLED,
        ItemStatus.IN_PROGRESS: ItemStatus.CANCELLED,
        ItemStatus.RETURNED: ItemStatus.CANCELLED,
    },
}
CLAIM_TRANSITIONS: Transitions = {
    # Reporting progress changes no status, but only a claim at work may report.
    "report": {ClaimStatus.ACTIVE: ClaimStatus.ACTIVE, ClaimStatus.RETURNED: ClaimStatus.RETURNED},
    "deliver": {
        ClaimStatus.ACTIVE: ClaimStatus.DELIVERED,
        ClaimStatus.RETURNED: ClaimStatus.DELIVERED,
    },
    "return": {ClaimStatus.DELIVERED: ClaimStatus.RETURNED},
    "verify": {ClaimStatus.DELIVERED: ClaimStatus.VERIFIED},
    "withdraw": {
        ClaimStatus.ACTIVE: ClaimStatus.WITHDRAWN,
        ClaimStatus.RETURNED: ClaimStatus.WITHDRAWN,
    },
}
TABLES: dict[str, Transitions] = {
    Transition.Entity.NEED: NEED_TRANSITIONS,
    Transition.Entity.LIST: LIST_TRANSITIONS,
    Transition.Entity.ITEM: ITEM_TRANSITIONS,
    Transition.Entity.CLAIM: CLAIM_TRANSITIONS,
}
ENTITY_OF = {
    Need: Transition.Entity.NEED,
    CallList: Transition.Entity.LIST,
    CallItem: Transition.Entity.ITEM,
    Claim: Transition.Entity.CLAIM,
}


def allowed_actions(record: Record) -> list[str]:
    """The actions the record's status allows, in table order."""
    table = TABLES[ENTITY_OF[type(record)]]
    return [action for action, moves in table.items() if record.status in moves]


def _move(
    record: Record,
    action: str,
    *,
    user: "User | None" = None,
    api_key: ApiKey | None = None,
    at: datetime.datetime | None = None,
    also: dict[str, object] | None = None,
) -> None:
    """Apply `action` to the record's status, or refuse it; log the change and save it with
    the fields in `also` that the new status needs."""
    entity = ENTITY_OF[type(record)]
    moves = TABLES[entity][action]
    if record.status not in moves:
        allowed = ", ".join(allowed_actions(record)) or _("none")
        raise InvalidTransition(
            _(
                "%(record)s is %(status)s: it cannot take the step '%(action)s' "
                "(steps allowed now: %(allowed)s)."
            )
            % {
                "record": str(record._meta.verbose_name).capitalize(),
                "status": record.get_status_display(),
                "action": action,
                "allowed": allowed,
            }
        )
    before, after = record.status, moves[record.status]
    if before == after:
        return
    record.status = after
    for name, value in (also or {}).items():
        setattr(record, name, value)
    record.save(update_fields=["status", *(also or {})])
    Transition.objects.create(
        entity=entity,
        object_id=record.pk,
        action=action,
        from_status=before,
        to_status=after,
        at=at or timezone.now(),
        user=user,
        api_key=api_key,
    )


def _announce(
    claim: Claim, change: str, changed_fields: Iterable[str], *, private: bool = False
) -> None:
    """The change feed's event of a step of a claim, in the transaction that takes it: public
    once the claim's list is (as the API shows claims), unless the step changed only the claim's
    private part; a private event is read by the claiming organisation (and staff).

    A public event names only fields anyone reads (the API's claim outside `private`); pledge,
    contact, delivery summary, reports and verification notes are the claimant's and staff's."""
    record_event(
        record=CLAIM,
        instance=claim,
        change=change,
        changed_fields=changed_fields,
        public=not private and CLAIM.published(claim),
    )


def _locked(model: type[M], pk: int) -> M:
    return model._default_manager.select_for_update().get(pk=pk)


# ---------------------------------------------------------------------------------------------
# Needs and lists


@transaction.atomic
def accept_need(*, need: Need, user: "User | None" = None) -> Need:
    need = _locked(Need, need.pk)
    _move(need, "accept", user=user)
    return need


@transaction.atomic
def reject_need(*, need: Need, user: "User | None" = None) -> Need:
    need = _locked(Need, need.pk)
    _move(need, "reject", user=user)
    return need


@transaction.atomic
def add_item(
    *, call_list: CallList, needs: Iterable[Need], user: "User | None" = None, **fields: object
) -> CallItem:
    """Make an item of a draft list from accepted needs; the needs become listed."""
    call_list = _locked(CallList, call_list.pk)
    if call_list.status != ListStatus.DRAFT:
        raise InvalidTransition(_("Items are added to a draft list only, before it is published."))
    needs = list(Need.objects.select_for_update().filter(pk__in=[n.pk for n in needs]))
    if not needs:
        raise ValidationError({"needs": [_("An item is made from at least one accepted need.")]})
    for need in needs:
        if need.programme_id != call_list.programme_id:
            raise ValidationError(
                {"needs": [_("%(need)s belongs to another programme.") % {"need": need.code}]}
            )
    item = CallItem(call_list=call_list, **fields)
    item.full_clean()
    item.save()
    item.needs.set(needs)
    for need in needs:
        _move(need, "list", user=user)
    return item


@transaction.atomic
def publish_list(
    *, call_list: CallList, on: datetime.date | None = None, user: "User | None" = None
) -> CallList:
    """Publish a draft list that has items, with a claim deadline not yet past."""
    call_list = _locked(CallList, call_list.pk)
    on = on or timezone.localdate()
    if call_list.status == ListStatus.DRAFT:
        if not call_list.items.exists():
            raise ValidationError(_("A list is published with at least one item."))
        if call_list.claim_deadline < on:
            raise ValidationError(
                {"claim_deadline": [_("The claim deadline is already past; move it first.")]}
            )
    _move(call_list, "publish", user=user, also={"published_on": on})
    return call_list


@transaction.atomic
def close_list(
    *,
    call_list: CallList,
    on: datetime.date | None = None,
    user: "User | None" = None,
    at: datetime.datetime | None = None,
) -> CallList:
    """Close a published list: no more claims, and its ranking is frozen in a snapshot."""
    from medical import selectors

    call_list = _locked(CallList, call_list.pk)
    # Claims lock their item: holding every item lock means no claim is half-way through.
    list(CallItem.objects.select_for_update().filter(call_list=call_list).values_list("pk"))
    _move(call_list, "close", user=user, at=at, also={"closed_on": on or timezone.localdate()})
    snapshot = LeaderboardSnapshot.objects.create(
        call_list=call_list, taken_at=at or timezone.now()
    )
    LeaderboardRow.objects.bulk_create(
        LeaderboardRow(
            snapshot=snapshot,
            organisation_id=row.organisation.pk,
            rank=row.rank,
            claimed=row.claimed,
            delivered=row.delivered,
            on_time=row.on_time,
            verified=row.verified,
            points=row.points,
            last_verified_at=row.last_verified_at,
        )
        for row in selectors.live_leaderboard(call_lists=[call_list])
    )
    return call_list


@transaction.atomic
def cancel_item(*, item: CallItem, user: "User | None" = None) -> CallItem:
    item = _locked(CallItem, item.pk)
    _move(item, "cancel", user=user)
    return item


@transaction.atomic
def close_item(*, item: CallItem, user: "User | None" = None) -> CallItem:
    item = _locked(CallItem, item.pk)
    _move(item, "close", user=user)
    return item


# ---------------------------------------------------------------------------------------------
# Claims


def check_claimant(*, call_list: CallList, organisation: Organisation) -> None:
    """Claiming is for the donor side: the programme's donor organisation or any organisation
    under it in the parent tree, at any depth. The list's issuer (the donor's health commission)
    does not answer its own call. The partner side, and anyone outside the donor's tree, asked
    for the help or has no part in giving it, whatever the organisation's type."""
    programme = call_list.programme
    if not within_organisation(organisation_id=organisation.pk, root_id=programme.donor_id):
        raise ClaimRefused(
            _(
                "Only the donor side claims items: %(organisation)s is neither %(donor)s nor "
                "one of its organisations."
            )
            % {"organisation": organisation.name, "donor": programme.donor.name}
        )
    if organisation.pk == call_list.issuer_id:
        raise ClaimRefused(_("The issuer of a list does not claim its items."))


@transaction.atomic
def claim_item(
    *,
    item: CallItem,
    organisation: Organisation,
    on: datetime.date | None = None,
    pledge: str = "",
    contact: str = "",
    api_key: ApiKey | None = None,
    user: "User | None" = None,
    at: datetime.datetime | None = None,
) -> Claim:
    """Claim a place on an item of a published list, on or before its claim deadline.

    Refused (ClaimRefused) when the organisation is not on the donor side or issued the list
    (`check_claimant`), the list is not published or is closed, the deadline has passed, no
    place is left, or the organisation already holds a claim on the item.
    """
    on = on or timezone.localdate()
    item = _locked(CallItem, item.pk)
    call_list = CallList.objects.select_related("programme__donor").get(pk=item.call_list_id)
    check_claimant(call_list=call_list, organisation=organisation)
    if call_list.status != ListStatus.PUBLISHED:
        raise ClaimRefused(
            _("The list is %(status)s: only a published list takes claims.")
            % {"status": call_list.get_status_display()}
        )
    if on > call_list.claim_deadline:
        raise ClaimRefused(
            _("Claims for this list closed on %(date)s.")
            % {"date": call_list.claim_deadline.isoformat()}
        )
    if item.status not in ITEM_TRANSITIONS["claim"]:
        raise ClaimRefused(
            _("The item is %(status)s and takes no claims.") % {"status": item.get_status_display()}
        )
    if Claim.objects.filter(
        item=item, organisation=organisation, status__in=Claim.HOLDING
    ).exists():
        raise ClaimRefused(_("Your organisation already holds a claim on this item."))
    if item.places_left <= 0:
        raise ClaimRefused(
            _("Every place on this item is taken (%(places)d of %(places)d).")
            % {"places": item.max_claimants}
        )
    claim = Claim(
        item=item, organisation=organisation, claimed_on=on, pledge=pledge, contact=contact
    )
    claim.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            claim.save()
            item.active_claims += 1
            item.save(update_fields=["active_claims"])
    except IntegrityError:
        # The constraints are the last word; the checks above should have caught this first.
        raise ClaimRefused(_("This item cannot take this claim.")) from None
    Transition.objects.create(
        entity=Transition.Entity.CLAIM,
        object_id=claim.pk,
        action="claim",
        from_status="",
        to_status=claim.status,
        at=at or timezone.now(),
        user=user,
        api_key=api_key,
    )
    _move(item, "claim", user=user, api_key=api_key, at=at)
    _announce(claim, CREATED, ["item", "organisation", "claimed_on", "status"])
    return claim


def _locked_claim(claim: Claim) -> tuple[CallItem, Claim]:
    item = _locked(CallItem, claim.item_id)
    return item, Claim.objects.select_for_update().select_related("organisation").get(pk=claim.pk)


@transaction.atomic
def withdraw_claim(
    *, claim: Claim, user: "User | None" = None, api_key: ApiKey | None = None
) -> Claim:
    """Give up a claim before delivery; the place goes back to the item."""
    item, claim = _locked_claim(claim)
    _move(claim, "withdraw", user=user, api_key=api_key)
    item.active_claims -= 1
    item.save(update_fields=["active_claims"])
    if item.active_claims == 0 and item.status in ITEM_TRANSITIONS["release"]:
        _move(item, "release", user=user, api_key=api_key)
    _announce(claim, UPDATED, ["status"])
    return claim


@transaction.atomic
def add_report(
    *,
    claim: Claim,
    date: datetime.date,
    text: str,
    attachments: list[str] | None = None,
    user: "User | None" = None,
    api_key: ApiKey | None = None,
) -> ProgressReport:
    """A progress report on a claim at work; the item's work starts with the first one."""
    item, claim = _locked_claim(claim)
    _move(claim, "report", user=user, api_key=api_key)
    if date > timezone.localdate():
        raise ValidationError({"date": [_("A report cannot be dated in the future.")]})
    if date < claim.claimed_on:
        raise ValidationError({"date": [_("A report cannot be dated before the claim.")]})
    report = ProgressReport(
        claim=claim,
        date=date,
        text=text,
        attachments=list(attachments or []),
        created_by=user,
        created_by_key=api_key,
    )
    report.full_clean()
    report.save()
    if item.status in ITEM_TRANSITIONS["start"]:
        _move(item, "start", user=user, api_key=api_key)
    # A report is the claim's private part: its organisation learns of it, the public does not.
    _announce(claim, UPDATED, ["reports"], private=True)
    return report


@transaction.atomic
def deliver_claim(
    *,
    claim: Claim,
    on: datetime.date | None = None,
    summary: str = "",
    user: "User | None" = None,
    api_key: ApiKey | None = None,
    at: datetime.datetime | None = None,
) -> Claim:
    """The claimant says the work is done. A delivery carries its evidence: a summary of what was
    delivered, or the claim's progress reports. The item is delivered once every claim holding a
    place on it is."""
    on = on or timezone.localdate()
    item, claim = _locked_claim(claim)
    if on < claim.claimed_on:
        raise ValidationError({"delivered_on": [_("Delivery cannot be before the claim.")]})
    check_reported_date(on, programme=item.call_list.programme, field="delivered_on")
    _move(
        claim,
        "deliver",
        user=user,
        api_key=api_key,
        at=at,
        also={"delivered_on": on, "delivery_summary": summary.strip()},
    )
    if not claim.delivery_summary and not claim.reports.exists():
        raise ValidationError(
            {
                "summary": [
                    _(
                        "Say what was delivered, or report the work with its evidence before "
                        "delivering."
                    )
                ]
            }
        )
    if item.status in (ItemStatus.CLAIMED, ItemStatus.RETURNED):
        # Delivered without a report in between: the work started and ended now.
        _move(item, "start", user=user, api_key=api_key, at=at)
    still_working = item.claims.filter(
        status__in=(ClaimStatus.ACTIVE, ClaimStatus.RETURNED)
    ).exists()
    if not still_working:
        _move(item, "deliver", user=user, api_key=api_key, at=at)
    _announce(claim, UPDATED, ["status", "delivered_on"])
    return claim


@transaction.atomic
def verify_claim(
    *,
    claim: Claim,
    score: int,
    note: str = "",
    user: "User | None" = None,
    at: datetime.datetime | None = None,
) -> Verification:
    """Staff accept a delivery with a score from 0 to 100. The item is verified once every
    claim holding a place on it is."""
    if not isinstance(score, int) or not 0 <= score <= 100:
        raise ValidationError({"score": [_("Give a score from 0 to 100.")]})
    item, claim = _locked_claim(claim)
    at = at or timezone.now()
    _move(claim, "verify", user=user, at=at)
    verification = Verification.objects.create(
        claim=claim,
        outcome=Verification.Outcome.ACCEPTED,
        score=score,
        note=note,
        verified_at=at,
        verified_by=user,
    )
    pending = (
        item.claims.filter(status__in=Claim.HOLDING).exclude(status=ClaimStatus.VERIFIED).exists()
    )
    if not pending and item.status == ItemStatus.DELIVERED:
        _move(item, "verify", user=user, at=at)
    _announce(claim, UPDATED, ["status"])
    return verification


@transaction.atomic
def return_claim(
    *, claim: Claim, note: str, user: "User | None" = None, at: datetime.datetime | None = None
) -> Verification:
    """Staff send a delivery back for more work, saying why."""
    if not note.strip():
        raise ValidationError({"note": [_("Say what is missing.")]})
    item, claim = _locked_claim(claim)
    at = at or timezone.now()
    _move(claim, "return", user=user, at=at)
    verification = Verification.objects.create(
        claim=claim,
        outcome=Verification.Outcome.RETURNED,
        note=note,
        verified_at=at,
        verified_by=user,
    )
    if item.status == ItemStatus.DELIVERED:
        _move(item, "return", user=user, at=at)
    _announce(claim, UPDATED, ["status"])
    return verification


# ---------------------------------------------------------------------------------------------
# Bulletins


@transaction.atomic
def publish_bulletin(*, bulletin: Bulletin, on: datetime.date | None = None) -> Bulletin:
    bulletin = _locked(Bulletin, bulletin.pk)
    if bulletin.published:
        raise Conflict(_("This bulletin is already published."))
    bulletin.published = True
    bulletin.published_on = on or timezone.localdate()
    bulletin.save(update_fields=["published", "published_on"])
    return bulletin


@transaction.atomic
def withdraw_bulletin(*, bulletin: Bulletin) -> Bulletin:
    bulletin = _locked(Bulletin, bulletin.pk)
    if not bulletin.published:
        raise Conflict(_("This bulletin is not published."))
    bulletin.published = False
    bulletin.published_on = None
    bulletin.save(update_fields=["published", "published_on"])
    return bulletin
