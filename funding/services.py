"""Every write to the ledger, and the one place its rules live.

The rule: for every project, at every moment, disbursed never exceeds arrived. A disbursement
locks the project's totals row (`SELECT … FOR UPDATE`), so parallel disbursements queue on it
and each sees the totals the previous one left; a CHECK constraint on the totals row keeps
disbursed + awaiting approval ≤ arrived + recorded-beyond-arrivals even if this code were
bypassed. Staff with `funding.record_beyond_arrivals` may go beyond arrivals with a reason
(funds in transit); such entries are flagged, and later arrivals cover them first. A disbursement
above FUNDING_APPROVAL_THRESHOLD reserves its amount at once and counts once a second staff
member approves it.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.utils.translation import gettext as _

from funding.models import Approval, LedgerEntry, ProjectFunding, ProjectFundingYear
from funding.rollups import keeping_rollups
from projects.models import Project
from projects.selectors import takes_part
from reference.exceptions import Conflict

TYPE_TOTAL = {
    LedgerEntry.Type.INCOMING_COMMITMENT: "committed",
    LedgerEntry.Type.INCOMING_FUNDS: "arrived",
    LedgerEntry.Type.DISBURSEMENT: "disbursed",
    LedgerEntry.Type.EXPENDITURE: "spent",
}
YEAR_TOTALS = {"arrived", "disbursed", "spent"}


class BeyondArrivals(Conflict):
    """A disbursement would take a project's disbursed total past its arrived total."""

    code = "beyond-arrivals"


class TotalsOverflow(ValidationError):
    """An amount that would take a project's totals past what the ledger's columns hold."""

    def __init__(self):
        super().__init__(
            {"amount": [_("The project's totals would exceed what the ledger can hold.")]}
        )


def approval_threshold() -> Decimal:
    return Decimal(str(settings.FUNDING_APPROVAL_THRESHOLD))


def _locked_totals(project: Project) -> ProjectFunding:
    ProjectFunding.objects.get_or_create(project=project)
    return ProjectFunding.objects.select_for_update().get(project=project)


def lock_totals(projects) -> None:
    """Lock several projects' totals rows in id order, for a transaction that posts to them all."""
    for project in sorted(projects, key=lambda project: project.pk):
        _locked_totals(project)


def _add_to_year(*, project: Project, year: int, total: str, amount: Decimal) -> None:
    if total not in YEAR_TOTALS:
        return
    row, _created = ProjectFundingYear.objects.select_for_update().get_or_create(
        project=project, year=year
    )
    setattr(row, total, getattr(row, total) + amount)
    try:
        with transaction.atomic():
            row.save(update_fields=[total])
    except DataError:
        raise TotalsOverflow() from None


def _save_totals(totals: ProjectFunding) -> None:
    try:
        with transaction.atomic():
            totals.save()
    except DataError:
        raise TotalsOverflow() from None
    except IntegrityError:
        # The constraint is the last word; the checks above should have caught this first.
        raise BeyondArrivals(_("This would take disbursements beyond the funds arrived.")) from None


def _money(amount) -> str:
    return f"{Decimal(amount):,.2f}"


@transaction.atomic
def record_entry(
    *,
    project: Project,
    type: str,
    date,
    amount: Decimal,
    provider=None,
    receiver=None,
    voucher: str = "",
    note: str = "",
    beyond_arrivals_reason: str = "",
    recorded_by=None,
    recorded_by_key=None,
    illustrative: bool = False,
) -> LedgerEntry:
    """Post an entry and update the project's totals in the same transaction.

    A disbursement is refused (BeyondArrivals) when it would take disbursed plus what awaits
    approval past arrived, unless a reason is given by a user allowed to go beyond arrivals.
    """
    if recorded_by_key is not None and not takes_part(
        project=project, organisation_id=recorded_by_key.organisation_id
    ):
        raise ValidationError(
            {"project": [_("Your organisation does not take part in this project.")]}
        )
    if beyond_arrivals_reason and (
        recorded_by is None or not recorded_by.has_perm("funding.record_beyond_arrivals")
    ):
        raise ValidationError(
            {"reason": [_("Only staff allowed to go beyond arrivals may do this.")]}
        )
    totals = _locked_totals(project)
    amount = Decimal(amount)
    entry = LedgerEntry(
        project=project,
        type=type,
        date=date,
        amount=amount,
        provider=provider,
        receiver=receiver,
        voucher=voucher,
        note=note,
        recorded_by=recorded_by,
        recorded_by_key=recorded_by_key,
        illustrative=illustrative,
    )
    if type == LedgerEntry.Type.DISBURSEMENT:
        # Earlier disbursements beyond arrivals use up later arrivals first.
        room = totals.arrived - totals.disbursed - totals.pending
        if amount > room:
            if not beyond_arrivals_reason:
                raise BeyondArrivals(
                    _(
                        "Only %(room)s CNY of the funds arrived for %(project)s is not yet "
                        "disbursed; %(amount)s CNY cannot be disbursed."
                    )
                    % {
                        "room": _money(max(room, 0)),
                        "project": project.code,
                        "amount": _money(amount),
                    }
                )
            entry.beyond_arrivals = True
            entry.reason = beyond_arrivals_reason
            totals.beyond_arrivals += amount
        entry.needs_approval = amount > approval_threshold()
    elif beyond_arrivals_reason:
        raise ValidationError({"reason": [_("Only a disbursement can go beyond arrivals.")]})
    entry.full_clean()
    with keeping_rollups(project.pk):
        entry.save()
        if entry.needs_approval:
            totals.pending += amount
        else:
            _count(entry, totals, sign=1)
        _save_totals(totals)
    return entry


def _count(entry: LedgerEntry, totals: ProjectFunding, *, sign: int) -> None:
    total = TYPE_TOTAL[entry.type]
    setattr(totals, total, getattr(totals, total) + sign * entry.amount)
    _add_to_year(
        project=entry.project, year=entry.date.year, total=total, amount=sign * entry.amount
    )


@transaction.atomic
def reverse_entry(*, entry: LedgerEntry, reason: str, recorded_by=None) -> LedgerEntry:
    """Cancel an entry with a reversal that points to it. The original stays, unchanged."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the entry is reversed.")]})
    totals = _locked_totals(entry.project)
    # No row lock on the entry: the runtime role may not UPDATE entries, which FOR UPDATE needs,
    # and the project's totals row locked above already serialises every change to its entries.
    original = LedgerEntry.objects.get(pk=entry.pk)
    if original.is_reversal:
        raise Conflict(_("A reversal cannot itself be reversed; post a new entry instead."))
    if LedgerEntry.objects.filter(reverses=original).exists():
        raise Conflict(_("This entry has already been reversed."))
    counted = not original.needs_approval or Approval.objects.filter(entry=original).exists()
    if original.type == LedgerEntry.Type.INCOMING_FUNDS:
        room = totals.arrived + totals.beyond_arrivals - totals.disbursed - totals.pending
        if original.amount > room:
            raise BeyondArrivals(
                _("Reversing this arrival would leave more disbursed than arrived for %(project)s.")
                % {"project": original.project.code}
            )
    reversal = LedgerEntry(
        project=original.project,
        type=original.type,
        date=original.date,
        amount=original.amount,
        provider=original.provider,
        receiver=original.receiver,
        voucher=original.voucher,
        reverses=original,
        reason=reason,
        recorded_by=recorded_by,
    )
    reversal.full_clean()
    with keeping_rollups(original.project_id):
        reversal.save()
        if counted:
            _count(original, totals, sign=-1)
        else:
            totals.pending -= original.amount
        if original.beyond_arrivals:
            totals.beyond_arrivals -= original.amount
        _save_totals(totals)
    return reversal


@transaction.atomic
def approve_disbursement(*, entry: LedgerEntry, approved_by) -> Approval:
    """The second pair of eyes: a different staff member makes a large disbursement count."""
    totals = _locked_totals(entry.project)
    # Serialised by the totals row locked above (see reverse_entry).
    entry = LedgerEntry.objects.get(pk=entry.pk)
    if not entry.needs_approval:
        raise Conflict(_("This entry needs no approval."))
    if Approval.objects.filter(entry=entry).exists():
        raise Conflict(_("This disbursement is already approved."))
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise Conflict(_("This disbursement has been reversed."))
    if entry.recorded_by_id is not None and entry.recorded_by_id == approved_by.pk:
        raise Conflict(_("A disbursement is approved by someone other than who recorded it."))
    if not approved_by.has_perm("funding.approve_disbursement"):
        raise ValidationError(_("Only staff allowed to approve disbursements may do this."))
    with keeping_rollups(entry.project_id):
        approval = Approval.objects.create(entry=entry, approved_by=approved_by)
        totals.pending -= entry.amount
        _count(entry, totals, sign=1)
        _save_totals(totals)
    return approval
