"""Every write to the ledger, and the one place its rules live.

The rule: for every project, at every moment, disbursed never exceeds arrived. A disbursement
locks the project's totals row (`SELECT … FOR UPDATE`), so parallel disbursements queue on it
and each sees the totals the previous one left; a CHECK constraint on the totals row keeps
disbursed + awaiting approval ≤ arrived + recorded-beyond-arrivals even if this code were
bypassed. Staff with `funding.record_beyond_arrivals` may go beyond arrivals with a reason
(funds in transit); such entries are flagged, and later arrivals cover them first. A disbursement
above FUNDING_APPROVAL_THRESHOLD reserves its amount at once and counts once a second staff
member approves it; an arrival above it counts (and covers disbursements) only once approved.

A partner key (granted `funding:entries`) posts only for its organisation's role in the
project (`API_POSTERS`): a funder what it committed and sent, the accountable party what it
received and disbursed, an implementer what it received and spent. Every entry's date lies
between the programme's start and today (commitments: today + FUNDING_COMMITMENT_HORIZON_DAYS),
in a year the programme has not closed (`ClosedPeriod`; a trigger refuses it too).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import DataError, IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from api.models import ApiKey
from changes.records import POSTED
from changes.services import NewEvent, record_event, record_events
from core.bulk import BATCH, insert_rows, update_rows
from core.exceptions import Conflict
from funding import rollups, selectors
from funding.events import LEDGER_ENTRY, entry_paths
from funding.models import (
    Approval,
    ClosedPeriod,
    LedgerCheck,
    LedgerEntry,
    NotePublication,
    ProjectFunding,
    ProjectFundingYear,
)
from funding.rollups import keeping_rollups
from projects.models import Participant, Project
from reference.dates import check_reported_date
from reference.models import Organisation, Programme

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TYPE_TOTAL: dict[str, str] = {
    LedgerEntry.Type.INCOMING_COMMITMENT: "committed",
    LedgerEntry.Type.INCOMING_FUNDS: "arrived",
    LedgerEntry.Type.DISBURSEMENT: "disbursed",
    LedgerEntry.Type.EXPENDITURE: "spent",
}
YEAR_TOTALS = {"arrived", "disbursed", "spent"}
# Types that count only once a second person approves them, above the threshold.
APPROVED_TYPES = {LedgerEntry.Type.INCOMING_FUNDS, LedgerEntry.Type.DISBURSEMENT}

Role = Participant.Role
# What a partner key may post, per entry type: (its organisation's role in the project, the side
# of the entry it must stand on). The other side is whoever it paid or was paid by.
API_POSTERS: dict[str, tuple[tuple[str, str], ...]] = {
    LedgerEntry.Type.INCOMING_COMMITMENT: ((Role.FUNDING, "provider"),),
    LedgerEntry.Type.INCOMING_FUNDS: ((Role.FUNDING, "provider"), (Role.ACCOUNTABLE, "receiver")),
    LedgerEntry.Type.DISBURSEMENT: (
        (Role.ACCOUNTABLE, "provider"),
        (Role.IMPLEMENTING, "receiver"),
    ),
    LedgerEntry.Type.EXPENDITURE: ((Role.IMPLEMENTING, "provider"),),
}


class BeyondArrivals(Conflict):
    """A disbursement would take a project's disbursed total past its arrived total."""

    code = "beyond-arrivals"


class BeyondPlan(ValidationError):
    """An arrival that would take a project's arrivals above its planned investment, posted
    without saying why."""

    def __init__(self, *, project: Project, arrived: Decimal) -> None:
        super().__init__(
            {
                "beyond_plan_reason": [
                    _(
                        "This arrival takes %(project)s's arrivals to %(arrived)s CNY, above its "
                        "planned investment of %(planned)s CNY. Confirm it and say why."
                    )
                    % {
                        "project": project.code,
                        "arrived": _money(arrived),
                        "planned": _money(project.planned_investment),
                    }
                ]
            }
        )


class TotalsOverflow(ValidationError):
    """An amount that would take a project's totals past what the ledger's columns hold."""

    def __init__(self) -> None:
        super().__init__(
            {"amount": [_("The project's totals would exceed what the ledger can hold.")]}
        )


def approval_threshold() -> Decimal:
    return Decimal(str(settings.FUNDING_APPROVAL_THRESHOLD))


def _locked_totals(project: Project) -> ProjectFunding:
    ProjectFunding.objects.get_or_create(project=project)
    return ProjectFunding.objects.select_for_update().get(project=project)


def lock_totals(projects: Iterable[Project]) -> None:
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


def _check_date(type: str, date: datetime.date, programme: Programme) -> None:
    """A money date falls between the programme's start and today; a commitment may look
    FUNDING_COMMITMENT_HORIZON_DAYS ahead."""
    commitment = type == LedgerEntry.Type.INCOMING_COMMITMENT
    horizon = settings.FUNDING_COMMITMENT_HORIZON_DAYS if commitment else 0
    check_reported_date(date, programme=programme, horizon_days=horizon)


def _closed_year(year: int) -> ValidationError:
    return ValidationError(
        {
            "date": [
                _("The books of %(year)d are closed; date the entry in an open year.")
                % {"year": year}
            ]
        }
    )


def _check_open_period(project: Project, date: datetime.date) -> None:
    """Refuse an entry dated in a year its programme has closed."""
    if ClosedPeriod.objects.filter(programme_id=project.programme_id, year=date.year).exists():
        raise _closed_year(date.year)


@transaction.atomic
def close_period(*, programme: Programme, year: int, closed_by: "User") -> ClosedPeriod:
    """Close a programme's year: from now on no entry may be dated in it. A finance approver's
    decision; a year not yet over cannot be closed."""
    if not closed_by.has_perm("funding.add_closedperiod"):
        raise ValidationError(_("Only a finance approver may close a year."))
    if year >= timezone.localdate().year:
        raise ValidationError({"year": [_("Only a year that is over can be closed.")]})
    if ClosedPeriod.objects.filter(programme=programme, year=year).exists():
        raise ValidationError({"year": [_("This year is already closed.")]})
    return ClosedPeriod.objects.create(programme=programme, year=year, closed_by=closed_by)


def _money(amount: Decimal | int) -> str:
    return f"{Decimal(amount):,.2f}"


def _partner_sides(
    *,
    project: Project,
    type: str,
    organisation: Organisation,
    provider: Organisation | None,
    receiver: Organisation | None,
) -> tuple[Organisation | None, Organisation | None]:
    """The provider and receiver of a partner's entry, its own organisation on the side its role
    in the project stands on; a ValidationError naming the field when it has no such role or
    names another organisation there."""
    roles = set(
        project.participants.filter(organisation=organisation).values_list("role", flat=True)
    )
    if not roles:
        raise ValidationError(
            {"project": [_("Your organisation does not take part in this project.")]}
        )
    sides = [side for role, side in API_POSTERS[type] if role in roles]
    if not sides:
        raise ValidationError(
            {
                "type": [
                    _(
                        "Your organisation's role in this project (%(roles)s) does not record "
                        "this type of entry."
                    )
                    % {"roles": ", ".join(str(Role(role).label) for role in sorted(roles))}
                ]
            }
        )
    parties: dict[str, Organisation | None] = {"provider": provider, "receiver": receiver}
    for side in sides:
        named = parties[side]
        if named is None or named.pk == organisation.pk:
            parties[side] = organisation
            return parties["provider"], parties["receiver"]
    raise ValidationError(
        {
            sides[0]: [
                _("Your organisation records only its own side: the %(side)s is %(code)s.")
                % {
                    # Provider and receiver are foreign keys, never a reverse relation.
                    "side": LedgerEntry._meta.get_field(sides[0]).verbose_name,  # type: ignore[union-attr]
                    "code": organisation.code,
                }
            ]
        }
    )


def _beyond_arrivals(project: Project, room: Decimal, amount: Decimal) -> BeyondArrivals:
    return BeyondArrivals(
        _(
            "Only %(room)s CNY of the funds arrived for %(project)s is not yet "
            "disbursed; %(amount)s CNY cannot be disbursed."
        )
        % {
            "room": _money(max(room, Decimal(0))),
            "project": project.code,
            "amount": _money(amount),
        }
    )


@dataclass(frozen=True)
class Ruling:
    """How a new entry is posted, once the money rules allow it."""

    needs_approval: bool
    beyond_arrivals: bool = False
    reason: str = ""


def _rule(
    *,
    project: Project,
    totals: ProjectFunding,
    type: str,
    amount: Decimal,
    threshold: Decimal,
    beyond_arrivals_reason: str = "",
    beyond_plan_reason: str = "",
) -> Ruling:
    """The ledger's money rules for one new entry against the project's totals as they stand,
    for `record_entry` and `record_entries` alike: raise the refusal, or say how it is posted.
    A disbursement may not take disbursed plus what awaits approval past arrived (earlier
    disbursements beyond arrivals use up later arrivals first), nor an arrival take arrivals
    past the planned investment, unless a reason is given; arrivals and disbursements above the
    threshold wait for approval."""
    beyond_arrivals, reason = False, ""
    if type == LedgerEntry.Type.DISBURSEMENT:
        room = totals.arrived - totals.disbursed - totals.pending
        if amount > room:
            if not beyond_arrivals_reason:
                raise _beyond_arrivals(project, room, amount)
            beyond_arrivals, reason = True, beyond_arrivals_reason
    elif beyond_arrivals_reason:
        raise ValidationError({"reason": [_("Only a disbursement can go beyond arrivals.")]})
    if type == LedgerEntry.Type.INCOMING_FUNDS:
        arrived = totals.arrived + amount
        if arrived > project.planned_investment:
            if not beyond_plan_reason.strip():
                raise BeyondPlan(project=project, arrived=arrived)
            reason = beyond_plan_reason.strip()
    elif beyond_plan_reason:
        raise ValidationError(
            {"beyond_plan_reason": [_("Only an arrival can go beyond the planned investment.")]}
        )
    return Ruling(
        needs_approval=type in APPROVED_TYPES and amount > threshold,
        beyond_arrivals=beyond_arrivals,
        reason=reason,
    )


@transaction.atomic
def record_entry(
    *,
    project: Project,
    type: str,
    date: datetime.date,
    amount: Decimal,
    provider: Organisation | None = None,
    receiver: Organisation | None = None,
    voucher: str = "",
    note: str = "",
    beyond_arrivals_reason: str = "",
    beyond_plan_reason: str = "",
    recorded_by: "User | None" = None,
    recorded_by_key: ApiKey | None = None,
    illustrative: bool = False,
) -> LedgerEntry:
    """Post an entry and update the project's totals in the same transaction.

    A disbursement is refused (BeyondArrivals) when it would take disbursed plus what awaits
    approval past arrived, unless a reason is given by a user allowed to go beyond arrivals.
    An arrival or disbursement above the threshold waits for a second person's approval. A
    partner key posts only its own side for its role in the project (`API_POSTERS`); its note
    stays private until staff publish it. An arrival that takes the project's arrivals above
    its planned investment is refused (BeyondPlan) unless a reason is given; the reason is kept
    on the entry.
    """
    if recorded_by_key is not None:
        provider, receiver = _partner_sides(
            project=project,
            type=type,
            organisation=recorded_by_key.organisation,
            provider=provider,
            receiver=receiver,
        )
    _check_date(type, date, project.programme)
    _check_open_period(project, date)
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
    ruling = _rule(
        project=project,
        totals=totals,
        type=type,
        amount=amount,
        threshold=approval_threshold(),
        beyond_arrivals_reason=beyond_arrivals_reason,
        beyond_plan_reason=beyond_plan_reason,
    )
    entry.needs_approval = ruling.needs_approval
    entry.beyond_arrivals = ruling.beyond_arrivals
    entry.reason = ruling.reason
    if ruling.beyond_arrivals:
        totals.beyond_arrivals += amount
    entry.full_clean()
    with keeping_rollups(project.pk):
        entry.save()
        _announce(entry)
        if entry.needs_approval:
            # A large disbursement reserves its amount; a large arrival counts nowhere yet.
            if type == LedgerEntry.Type.DISBURSEMENT:
                totals.pending += amount
        else:
            _count(entry, totals, sign=1)
        _save_totals(totals)
    return entry


@dataclass(frozen=True)
class NewEntry:
    """One entry of a bulk posting (`record_entries`), as staff would post it alone."""

    project: Project
    type: str
    date: datetime.date
    amount: Decimal
    provider: Organisation | None = None
    receiver: Organisation | None = None
    voucher: str = ""
    note: str = ""


class EntryRefused(Exception):
    """One entry of a bulk posting refused: its index in the batch and the error `record_entry`
    would have raised for it. Nothing of the batch is written."""

    def __init__(self, index: int, error: ValidationError | Conflict) -> None:
        super().__init__(f"entry {index}: {error}")
        self.index = index
        self.error = error


ALERT_LINES = 50  # differences quoted in a failed check's e-mail; the admin shows them all
# The largest amount a totals column holds (its MoneyField's digits).
_TOTAL_FIELD = ProjectFunding._meta.get_field("arrived")
MAX_TOTAL = Decimal(10) ** (_TOTAL_FIELD.max_digits - _TOTAL_FIELD.decimal_places) - Decimal("0.01")
TOTAL_COLUMNS = ("committed", "arrived", "disbursed", "spent", "pending")
# The columns a bulk posting writes (the rest keep their defaults: no reversal, no API key).
ENTRY_COLUMNS = (
    "project_id",
    "type",
    "date",
    "amount",
    "currency",
    "provider_id",
    "receiver_id",
    "voucher",
    "note",
    "reason",
    "beyond_arrivals",
    "needs_approval",
    "illustrative",
    "recorded_by_id",
    "recorded_at",
)


def _lock_totals_of(project_ids: Iterable[int]) -> dict[int, ProjectFunding]:
    """Create the projects' missing totals rows, then lock them all in id order (as
    `lock_totals` does) with one query each."""
    ids = sorted(set(project_ids))
    have = set(
        ProjectFunding.objects.filter(project_id__in=ids).values_list("project_id", flat=True)
    )
    ProjectFunding.objects.bulk_create(
        [ProjectFunding(project_id=pk) for pk in ids if pk not in have],
        ignore_conflicts=True,  # made meanwhile by another posting: it is locked below
        batch_size=BATCH,
    )
    locked = ProjectFunding.objects.select_for_update().filter(project_id__in=ids)
    return {row.project_id: row for row in locked.order_by("project_id")}


def _add_to_years(
    additions: dict[tuple[int, int, str], Decimal],
) -> dict[tuple[int, int], dict[str, Decimal | int]]:
    """Add to many projects' year totals: one read, one insert and one update per batch. The
    projects' totals rows are locked, so no other transaction adds to these years meanwhile.
    Returns what changed per (project, year), with `present` 1 for each year row created."""
    names = sorted(YEAR_TOTALS)
    sums: defaultdict[tuple[int, int], dict[str, Decimal]] = defaultdict(
        lambda: dict.fromkeys(names, Decimal(0))
    )
    for (project_id, year, total), amount in additions.items():
        sums[(project_id, year)][total] += amount
    if not sums:
        return {}
    stored = ProjectFundingYear.objects.select_for_update().filter(
        project_id__in={project_id for project_id, _year in sums},
        year__in={year for _project_id, year in sums},
    )
    existing = {(row.project_id, row.year): row for row in stored.order_by("project_id", "year")}
    new, changed = [], []
    for (project_id, year), amounts in sorted(sums.items()):
        row = existing.get((project_id, year))
        if row is None:
            new.append(ProjectFundingYear(project_id=project_id, year=year, **amounts))
            continue
        for name, amount in amounts.items():
            setattr(row, name, getattr(row, name) + amount)
        changed.append(row)
    try:
        with transaction.atomic():
            insert_rows(
                ProjectFundingYear,
                ("project_id", "year", *names),
                [
                    (row.project_id, row.year, *(getattr(row, name) for name in names))
                    for row in new
                ],
            )
            update_rows(changed, names)
    except DataError:
        raise TotalsOverflow() from None
    return {
        (project_id, year): {**amounts, "present": int((project_id, year) not in existing)}
        for (project_id, year), amounts in sums.items()
    }


def _check_new_entry(
    entry: NewEntry,
    *,
    totals: ProjectFunding,
    programme: Programme,
    closed: set[tuple[int, int]],
    threshold: Decimal,
    years: dict[tuple[int, int, str], Decimal],
) -> bool:
    """`record_entry`'s rules for a staff entry without reasons, applied to the totals in
    memory: raise what it would raise, else count the entry and say whether it needs approval."""
    project = entry.project
    _check_date(entry.type, entry.date, programme)
    if (project.programme_id, entry.date.year) in closed:
        raise _closed_year(entry.date.year)
    amount = entry.amount
    needs_approval = _rule(
        project=project, totals=totals, type=entry.type, amount=amount, threshold=threshold
    ).needs_approval
    if needs_approval:
        if entry.type == LedgerEntry.Type.DISBURSEMENT:
            totals.pending += amount
    else:
        total = TYPE_TOTAL[entry.type]
        setattr(totals, total, getattr(totals, total) + amount)
        if total in YEAR_TOTALS:
            years[(project.pk, entry.date.year, total)] += amount
    if totals.pending > MAX_TOTAL or getattr(totals, TYPE_TOTAL[entry.type]) > MAX_TOTAL:
        raise TotalsOverflow()
    return needs_approval


@transaction.atomic
def record_entries(*, entries: Sequence[NewEntry], recorded_by: "User | None" = None) -> list[int]:
    """Post many staff entries at once, in their order, with the outcome of posting them one by
    one through `record_entry`: each date within its programme's bounds and in an open year, no
    disbursement beyond the funds arrived before it, no arrival above the planned investment,
    arrivals and disbursements above the threshold awaiting approval. The first refusal raises
    EntryRefused and nothing is written.

    The projects' totals rows are locked first, in id order; then the entries and their
    change-feed events are inserted in batches, and each project's totals, each of its years and
    the programme rollups are updated once, whatever the number of entries."""
    if not entries:
        return []
    projects = {entry.project.pk: entry.project for entry in entries}
    programmes = Programme.objects.in_bulk({project.programme_id for project in projects.values()})
    closed = set(
        ClosedPeriod.objects.filter(programme__in=list(programmes)).values_list(
            "programme_id", "year"
        )
    )
    totals = _lock_totals_of(projects)
    before = {
        pk: {name: getattr(row, name) for name in TOTAL_COLUMNS} for pk, row in totals.items()
    }
    threshold = approval_threshold()
    years: defaultdict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    posted = []
    for index, entry in enumerate(entries):
        project = projects[entry.project.pk]
        try:
            needs_approval = _check_new_entry(
                entry,
                totals=totals[project.pk],
                programme=programmes[project.programme_id],
                closed=closed,
                threshold=threshold,
                years=years,
            )
        except (ValidationError, Conflict) as error:
            raise EntryRefused(index, error) from error
        posted.append((entry, needs_approval))
    private = [pk for pk, project in projects.items() if not project.published]
    audience: defaultdict[int, list[int]] = defaultdict(list)
    for project_id, organisation_id in Participant.objects.filter(
        project_id__in=private
    ).values_list("project_id", "organisation_id"):
        audience[project_id].append(organisation_id)
    now = timezone.now()
    user_id = recorded_by.pk if recorded_by is not None else None
    ids = insert_rows(
        LedgerEntry,
        ENTRY_COLUMNS,
        [
            (
                entry.project.pk,
                entry.type,
                entry.date,
                entry.amount,
                "CNY",
                entry.provider.pk if entry.provider else None,
                entry.receiver.pk if entry.receiver else None,
                entry.voucher,
                entry.note,
                "",
                False,
                needs_approval,
                False,
                user_id,
                now,
            )
            for entry, needs_approval in posted
        ],
    )
    path = entry_paths()
    record_events(
        record=LEDGER_ENTRY,
        change=POSTED,
        events=[
            NewEvent(
                str(pk),
                path(pk),
                projects[entry.project.pk].published,
                audience[entry.project.pk],
            )
            for pk, (entry, _needs_approval) in zip(ids, posted, strict=True)
        ],
    )
    try:
        with transaction.atomic():
            update_rows(list(totals.values()), TOTAL_COLUMNS)
    except DataError:
        raise TotalsOverflow() from None
    except IntegrityError:
        # The constraint is the last word; the checks above should have caught this first.
        raise BeyondArrivals(_("This would take disbursements beyond the funds arrived.")) from None
    year_changes = _add_to_years(years)
    rollups.add_changes(
        {
            pk: {name: getattr(row, name) - before[pk][name] for name in TOTAL_COLUMNS}
            for pk, row in totals.items()
        },
        year_changes,
    )
    return ids


def _announce(entry: LedgerEntry) -> None:
    """The change feed's event of a posted entry, in the transaction that posts it."""
    record_event(
        record=LEDGER_ENTRY,
        instance=entry,
        change=POSTED,
        public=LEDGER_ENTRY.published(entry),
    )


def _count(entry: LedgerEntry, totals: ProjectFunding, *, sign: int) -> None:
    total = TYPE_TOTAL[entry.type]
    setattr(totals, total, getattr(totals, total) + sign * entry.amount)
    _add_to_year(
        project=entry.project, year=entry.date.year, total=total, amount=sign * entry.amount
    )


@transaction.atomic
def reverse_entry(
    *,
    entry: LedgerEntry,
    reason: str,
    recorded_by: "User | None" = None,
    date: datetime.date | None = None,
) -> LedgerEntry:
    """Cancel an entry with a reversal that points to it. The original stays, unchanged.

    The reversal is dated the day it is recorded unless another date is given, never before
    the original; it takes the original out of the totals of the original's year, so the pair
    nets to nothing wherever the original counted."""
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the entry is reversed.")]})
    date = date or timezone.localdate()
    check_reported_date(date, programme=entry.project.programme)
    _check_open_period(entry.project, date)
    if date < entry.date:
        raise ValidationError(
            {
                "date": [
                    _("A reversal cannot be dated before the entry it reverses (%(date)s).")
                    % {"date": entry.date.isoformat()}
                ]
            }
        )
    totals = _locked_totals(entry.project)
    # No row lock on the entry: the runtime role may not UPDATE entries, which FOR UPDATE needs,
    # and the project's totals row locked above already serialises every change to its entries.
    original = LedgerEntry.objects.get(pk=entry.pk)
    if original.is_reversal:
        raise Conflict(_("A reversal cannot itself be reversed; post a new entry instead."))
    if LedgerEntry.objects.filter(reverses=original).exists():
        raise Conflict(_("This entry has already been reversed."))
    counted = not original.needs_approval or Approval.objects.filter(entry=original).exists()
    if original.type == LedgerEntry.Type.INCOMING_FUNDS and counted:
        room = totals.arrived + totals.beyond_arrivals - totals.disbursed - totals.pending
        if original.amount > room:
            raise BeyondArrivals(
                _("Reversing this arrival would leave more disbursed than arrived for %(project)s.")
                % {"project": original.project.code}
            )
    reversal = LedgerEntry(
        project=original.project,
        type=original.type,
        date=date,
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
        _announce(reversal)
        if counted:
            _count(original, totals, sign=-1)
        elif original.type == LedgerEntry.Type.DISBURSEMENT:
            totals.pending -= original.amount
        if original.beyond_arrivals:
            totals.beyond_arrivals -= original.amount
        _save_totals(totals)
    return reversal


@transaction.atomic
def approve_disbursement(*, entry: LedgerEntry, approved_by: "User") -> Approval:
    """The second pair of eyes: a different staff member makes a large arrival or disbursement
    count."""
    totals = _locked_totals(entry.project)
    # Serialised by the totals row locked above (see reverse_entry).
    entry = LedgerEntry.objects.get(pk=entry.pk)
    if not entry.needs_approval:
        raise Conflict(_("This entry needs no approval."))
    if Approval.objects.filter(entry=entry).exists():
        raise Conflict(_("This entry is already approved."))
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise Conflict(_("This entry has been reversed."))
    if entry.recorded_by_id is not None and entry.recorded_by_id == approved_by.pk:
        raise Conflict(_("An entry is approved by someone other than who recorded it."))
    if not approved_by.has_perm("funding.approve_disbursement"):
        raise ValidationError(_("Only staff allowed to approve disbursements may do this."))
    with keeping_rollups(entry.project_id):
        approval = Approval.objects.create(entry=entry, approved_by=approved_by)
        if entry.type == LedgerEntry.Type.DISBURSEMENT:
            totals.pending -= entry.amount
        _count(entry, totals, sign=1)
        _save_totals(totals)
    return approval


@transaction.atomic
def publish_note(*, entry: LedgerEntry, published_by: "User") -> NotePublication:
    """Make a partner's note on an entry public. Staff's own notes are public from the start."""
    if not published_by.has_perm("funding.publish_entry_note"):
        raise ValidationError(_("Only finance staff may publish a partner's note."))
    if not entry.note or entry.recorded_by_key_id is None:
        raise Conflict(_("This entry has no partner's note to publish."))
    publication, _created = NotePublication.objects.get_or_create(
        entry=entry, defaults={"published_by": published_by}
    )
    return publication


def record_ledger_check(*, differences: list[str], rebuilt_rollups: bool) -> LedgerCheck:
    """Keep the outcome of a `check_ledger` run, so a failure waits on the finance staff's desk
    instead of only in a scheduler's log."""
    return LedgerCheck.objects.create(
        passed=not differences,
        difference_count=len(differences),
        differences="\n".join(differences),
        rebuilt_rollups=rebuilt_rollups,
    )


def ledger_check_recipients() -> list[str]:
    """The addresses of the finance staff the staff desk shows failed ledger checks to: active
    staff who read the runs and record the entries that correct the ledger."""
    users = get_user_model().objects
    model_backend = "django.contrib.auth.backends.ModelBackend"  # the one holding permissions
    view, add = selectors.LEDGER_CHECK_READERS
    readers = users.with_perm(view, backend=model_backend).filter(
        pk__in=users.with_perm(add, backend=model_backend).values("pk")
    )
    emails = readers.filter(is_staff=True).exclude(email="").values_list("email", flat=True)
    return sorted(set(emails))


def alert_failed_ledger_check(*, check: LedgerCheck) -> int:
    """E-mail a failed `check_ledger` run to the finance staff (it also waits on their desk);
    returns how many were written to."""
    recipients = ledger_check_recipients()
    if check.passed or not recipients:
        return 0
    link = settings.SITE_URL.rstrip("/") + reverse(
        "admin:funding_ledgercheck_change", args=[check.pk]
    )
    lines = check.differences.splitlines()
    body = "\n".join(
        [
            ngettext(
                "The ledger check of %(when)s found %(count)d total that disagrees with the "
                "ledger entries:",
                "The ledger check of %(when)s found %(count)d totals that disagree with the "
                "ledger entries:",
                check.difference_count,
            )
            % {
                "when": f"{timezone.localtime(check.ran_at):%Y-%m-%d %H:%M}",
                "count": check.difference_count,
            },
            "",
            *lines[:ALERT_LINES],
            *(
                [_("… and %(count)d more.") % {"count": len(lines) - ALERT_LINES}]
                if len(lines) > ALERT_LINES
                else []
            ),
            "",
            _("Read it and correct the ledger: %(link)s") % {"link": link},
        ]
    )
    send_mail(
        ngettext(
            "The ledger check failed: %(count)d total disagrees",
            "The ledger check failed: %(count)d totals disagree",
            check.difference_count,
        )
        % {"count": check.difference_count},
        body,
        None,  # DEFAULT_FROM_EMAIL
        recipients,
    )
    return len(recipients)
