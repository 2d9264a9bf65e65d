"""Every figure and list of 揭榜援藏 and medical outreach that the page, the admin and the API
show, and the scoring rule.

The scoring rule (考核): a claim earns points only once staff have verified it:
  - base points by the item's category (CATEGORY_POINTS);
  - + ON_TIME_BONUS when it was delivered on or before the item's due date, or the list's
    delivery deadline when the item has none (with neither, every delivery is on time);
  - + the verification score (0–100) ÷ 10, so 0 to 10 points.
The leaderboard counts per claiming organisation: items claimed (claims holding a place),
delivered (delivered or verified), verified, the on-time rate (on-time deliveries ÷ deliveries)
and points. Ties are broken, in order, by points (more first), verified items (more first),
on-time rate (higher first; none last), the earliest last verification, and the organisation's
code, so every rank is distinct and repeatable. A closed list's ranking is read from the
snapshot taken when it closed; the overall board adds up the batches' rows and ranks again.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Literal

from django.conf import settings
from django.db.models import (
    Count,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from api.callers import Caller
from core.querysets import built_once, count_of
from medical.models import (
    Bulletin,
    CallItem,
    CallList,
    Category,
    CharityBatch,
    Claim,
    FreeClinic,
    HospitalFirst,
    LeaderboardRow,
    Need,
    Verification,
)
from reference.models import Organisation, Programme, ReportedFigure
from reference.selectors import default_programme, default_programme_query

CATEGORY_POINTS: dict[str, int] = {
    Category.TREATMENT: 10,
    Category.TRAINING: 8,
    Category.SPECIALTY: 12,
    Category.DONATION: 6,
    Category.SMART_MEDICINE: 10,
    Category.EQUIPMENT: 8,
    Category.OTHER: 5,
}
ON_TIME_BONUS = 5
SCORE_DIVISOR = 10
PUBLIC_LIST_STATUSES = (CallList.Status.PUBLISHED, CallList.Status.CLOSED)
ONE_PLACE = Decimal("0.1")
# The reported figure (reference.ReportedFigure code) for the people the free clinics served:
# while the per-clinic head counts are illustrative it is the headline, never their sum.
CLINIC_PEOPLE_FIGURE = "free-clinic-people"


def programme_or_default(code: str | None) -> Programme | None:
    """The programme named by `code` (None when there is none by that code), else the
    showcase's default."""
    if code:
        return Programme.objects.filter(code=code).first()
    return default_programme()


# The programme a list of lists or items is of: a query of the one programme named
# (`programme_query`), the showcase's default (DEFAULT), or None for every programme.
DEFAULT: Final = "default"
ProgrammeScope = QuerySet[Programme] | Literal["default"] | None


def programme_query(code: str | None) -> ProgrammeScope:
    """`programme_or_default(code)` for lists and items to be filtered by in their own query:
    the named programme as a query of one row (None when there is none by that code), else
    DEFAULT; the default costs no query of its own."""
    if code:
        named = Programme.objects.filter(code=code)
        return named if named.exists() else None
    return DEFAULT


def _of_programme(programme: ProgrammeScope) -> Subquery | None:
    # The programme's id, read inside the list's own query.
    if programme is None:
        return None
    if isinstance(programme, QuerySet):
        return Subquery(programme.values("pk"))
    return Subquery(default_programme_query().values("pk"))


# ---------------------------------------------------------------------------------------------
# Scoring and the leaderboard


def due_date_of(
    due_on: datetime.date | None, list_deadline: datetime.date | None
) -> datetime.date | None:
    """An item's due date: its own, else its list's delivery deadline; None when neither."""
    return due_on or list_deadline


def due_date(item: CallItem) -> datetime.date | None:
    return due_date_of(item.due_on, item.call_list.delivery_deadline)


def on_time(delivered_on: datetime.date | None, due: datetime.date | None) -> bool:
    """Delivered on or before the due date; any delivery is on time when there is none."""
    return delivered_on is not None and (due is None or delivered_on <= due)


def delivered_on_time(claim: Claim) -> bool:
    return on_time(claim.delivered_on, due_date(claim.item))


def claim_points(claim: Claim, score: int | None) -> Decimal:
    """Points a verified claim earns under the scoring rule; nothing before verification."""
    if claim.status != Claim.Status.VERIFIED or score is None:
        return Decimal("0.0")
    points = Decimal(CATEGORY_POINTS[claim.item.category])
    if delivered_on_time(claim):
        points += ON_TIME_BONUS
    return (points + Decimal(score) / SCORE_DIVISOR).quantize(ONE_PLACE)


@dataclass
class BoardRow:
    organisation: Organisation
    claimed: int = 0
    delivered: int = 0
    on_time: int = 0
    verified: int = 0
    points: Decimal = field(default_factory=lambda: Decimal("0.0"))
    last_verified_at: datetime.datetime | None = None
    rank: int = 0

    @property
    def on_time_rate(self) -> Decimal | None:
        if not self.delivered:
            return None
        return Decimal(self.on_time) / Decimal(self.delivered)

    def add(self, other: "BoardRow") -> None:
        self.claimed += other.claimed
        self.delivered += other.delivered
        self.on_time += other.on_time
        self.verified += other.verified
        self.points += other.points
        if other.last_verified_at and (
            self.last_verified_at is None or other.last_verified_at > self.last_verified_at
        ):
            self.last_verified_at = other.last_verified_at


FAR_FUTURE = datetime.datetime.max.replace(tzinfo=datetime.UTC)


def _tie_break(row: BoardRow) -> tuple[Decimal, int, int, Decimal | int, datetime.datetime, str]:
    rate = row.on_time_rate
    return (
        -row.points,
        -row.verified,
        0 if rate is not None else 1,
        -(rate or 0),
        row.last_verified_at or FAR_FUTURE,
        row.organisation.code,
    )


def ranked(rows: Iterable[BoardRow]) -> list[BoardRow]:
    ordered = sorted(rows, key=_tie_break)
    for position, row in enumerate(ordered, start=1):
        row.rank = position
    return ordered


def live_leaderboard(*, call_lists: Iterable[CallList]) -> list[BoardRow]:
    """The ranking computed from the claims of the given lists as they are now."""
    accepted = Prefetch(
        "verifications",
        queryset=Verification.objects.filter(outcome=Verification.Outcome.ACCEPTED),
        to_attr="accepted",
    )
    claims = (
        Claim.objects.filter(item__call_list__in=call_lists, status__in=Claim.HOLDING)
        .select_related("organisation", "item__call_list")
        .prefetch_related(accepted)
    )
    rows: dict[int, BoardRow] = {}
    for claim in claims:
        row = rows.setdefault(claim.organisation_id, BoardRow(organisation=claim.organisation))
        row.claimed += 1
        if claim.status in (Claim.Status.DELIVERED, Claim.Status.VERIFIED):
            row.delivered += 1
            row.on_time += delivered_on_time(claim)
        verification = claim.accepted[0] if claim.accepted else None
        if claim.status == Claim.Status.VERIFIED and verification is not None:
            row.verified += 1
            row.points += claim_points(claim, verification.score)
            if row.last_verified_at is None or verification.verified_at > row.last_verified_at:
                row.last_verified_at = verification.verified_at
    return ranked(rows.values())


def _snapshot_rows(call_list: CallList) -> list[BoardRow]:
    rows = LeaderboardRow.objects.filter(snapshot__call_list=call_list).select_related(
        "organisation"
    )
    return [
        BoardRow(
            organisation=row.organisation,
            claimed=row.claimed,
            delivered=row.delivered,
            on_time=row.on_time,
            verified=row.verified,
            points=row.points,
            last_verified_at=row.last_verified_at,
            rank=row.rank,
        )
        for row in rows.order_by("rank")
    ]


def is_frozen(call_list: CallList) -> bool:
    return call_list.status == CallList.Status.CLOSED and hasattr(call_list, "snapshot")


def batch_leaderboard(call_list: CallList) -> list[BoardRow]:
    """A batch's ranking: the frozen snapshot once the list is closed, else live."""
    if is_frozen(call_list):
        return _snapshot_rows(call_list)
    return live_leaderboard(call_lists=[call_list])


def overall_leaderboard(programme: Programme) -> list[BoardRow]:
    """All published batches together: each batch's rows (frozen where closed), added up per
    organisation and ranked by the same rule."""
    totals: dict[int, BoardRow] = {}
    for call_list in public_lists(programme):
        for row in batch_leaderboard(call_list):
            total = totals.setdefault(row.organisation.pk, BoardRow(organisation=row.organisation))
            total.add(row)
    return ranked(totals.values())


# ---------------------------------------------------------------------------------------------
# The board


def public_lists(programme: Programme) -> QuerySet[CallList]:
    return (
        CallList.objects.filter(programme=programme, status__in=PUBLIC_LIST_STATUSES)
        .select_related("issuer", "programme", "snapshot")
        .order_by("batch")
    )


def visible_lists(caller: Caller, *, programme: ProgrammeScope) -> QuerySet[CallList]:
    """Published and closed lists (of the programme, when one is given); drafts too for staff
    who may view lists. Each list with its number of items (`item_count`)."""
    drafts = caller.has_perm("medical.view_calllist")
    if programme == DEFAULT:
        # What every reader of the API's lists asks for: built once (core.querysets).
        return _default_programme_lists(drafts, settings.DEFAULT_PROGRAMME)
    return _lists(drafts, programme)


def _lists(drafts: bool, programme: ProgrammeScope) -> QuerySet[CallList]:
    lists = CallList.objects.select_related("issuer", "programme").annotate(
        item_count=count_of(CallItem.objects.filter(call_list=OuterRef("pk")))
    )
    if (programme_id := _of_programme(programme)) is not None:
        lists = lists.filter(programme=programme_id)
    if not drafts:
        lists = lists.filter(status__in=PUBLIC_LIST_STATUSES)
    return lists.order_by("programme__code", "batch")


@built_once
def _default_programme_lists(drafts: bool, default_setting: str) -> QuerySet[CallList]:
    # DEFAULT_PROGRAMME is read when the query is built, so it is part of the key.
    return _lists(drafts, DEFAULT)


def _holding() -> QuerySet[Claim]:
    # Every claim but a withdrawn one holds a place on its item.
    return Claim.objects.filter(status__in=Claim.HOLDING)


def holding_claims() -> Prefetch[str, QuerySet[Claim], str]:
    return Prefetch("claims", queryset=_holding().select_related("organisation"), to_attr="holding")


def holding_claims_on(item_ids: list[int]) -> QuerySet[Claim]:
    """The claims that hold a place on these items, each item's in the order they are listed
    (`holding_claims`, within an item: by date claimed, then id)."""
    return _holding().filter(item_id__in=item_ids).order_by("item_id", "claimed_on", "id")


def visible_items(caller: Caller, *, programme: ProgrammeScope) -> QuerySet[CallItem]:
    """The items of published and closed lists (of the programme, when one is given); of drafts
    too for staff who may view items."""
    drafts = caller.has_perm("medical.view_callitem")
    if programme == DEFAULT:
        return _default_programme_items(drafts, settings.DEFAULT_PROGRAMME)
    return _items(drafts, programme)


def _items(drafts: bool, programme: ProgrammeScope) -> QuerySet[CallItem]:
    items = CallItem.objects.select_related("call_list", "call_list__programme").prefetch_related(
        holding_claims()
    )
    if (programme_id := _of_programme(programme)) is not None:
        items = items.filter(call_list__programme=programme_id)
    if not drafts:
        items = items.filter(call_list__status__in=PUBLIC_LIST_STATUSES)
    return items.order_by("call_list__programme__code", "call_list__batch", "number")


@built_once
def _default_programme_items(drafts: bool, default_setting: str) -> QuerySet[CallItem]:
    return _items(drafts, DEFAULT)


def board(programme: Programme) -> list[CallList]:
    """The published lists with their items and who holds a claim on each, in three queries."""
    items = Prefetch(
        "items",
        queryset=CallItem.objects.order_by("number").prefetch_related(holding_claims()),
    )
    return list(public_lists(programme).prefetch_related(items))


def sees_private_claims(caller: Caller) -> bool:
    """Whether the caller reads the private part of every claim (staff who may view claims);
    anyone else reads only its own organisation's."""
    return caller.has_perm("medical.view_claim")


def reads_private_parts(caller: Caller) -> bool:
    """Whether the caller reads the private part of any claim: staff who may view claims read
    every claim's, an organisation's key its own claims'."""
    return caller.organisation_id is not None or sees_private_claims(caller)


def shows_private(caller: Caller, claim: Claim) -> bool:
    """Whether the caller reads the claim's private part: pledge, contact and reports."""
    if sees_private_claims(caller):
        return True
    return caller.organisation_id is not None and caller.organisation_id == claim.organisation_id


def visible_claims(caller: Caller) -> QuerySet[Claim]:
    """Claims on published lists, plus every claim of the caller's organisation; all for staff
    who may view claims."""
    claims = Claim.objects.select_related(
        "item", "item__call_list", "item__call_list__programme", "organisation"
    )
    if sees_private_claims(caller):
        return claims.order_by("id")
    public = Q(item__call_list__status__in=PUBLIC_LIST_STATUSES)
    if caller.organisation_id is not None:
        public |= Q(organisation_id=caller.organisation_id)
    return claims.filter(public).order_by("id")


def claims_reported_to(caller: Caller) -> QuerySet[Claim]:
    """The claims whose progress reports the caller reads: all for staff who may view claims,
    else its own organisation's."""
    if sees_private_claims(caller):
        return visible_claims(caller)
    return claims_of(caller.organisation_id)


def claims_of(organisation_id: int | None) -> QuerySet[Claim]:
    """The claims an organisation may report on and deliver: its own, nobody else's."""
    if organisation_id is None:
        return Claim.objects.none()
    return Claim.objects.filter(organisation_id=organisation_id).select_related(
        "item", "item__call_list", "organisation"
    )


def headline(programme: Programme) -> dict[str, int]:
    """The board's figures: lists, items, items claimed and verified, claimant organisations."""
    items = CallItem.objects.filter(
        call_list__programme=programme, call_list__status__in=PUBLIC_LIST_STATUSES
    ).exclude(status=CallItem.Status.CANCELLED)
    figures = items.aggregate(
        items=Count("pk"),
        claimed=Count("pk", filter=Q(active_claims__gt=0)),
        verified=Count(
            "pk", filter=Q(status__in=(CallItem.Status.VERIFIED, CallItem.Status.CLOSED))
        ),
    )
    figures["lists"] = public_lists(programme).count()
    figures["claimants"] = (
        Claim.objects.filter(item__in=items, status__in=Claim.HOLDING)
        .values("organisation")
        .distinct()
        .count()
    )
    return figures


def published_bulletins(programme: Programme) -> QuerySet[Bulletin]:
    return (
        Bulletin.objects.filter(programme=programme, published=True)
        .select_related("call_list")
        .prefetch_related("organisations")
        .order_by("-published_on", "-id")
    )


# ---------------------------------------------------------------------------------------------
# Outreach


def free_clinics() -> QuerySet[FreeClinic]:
    """Every programme's free clinics; outreach records are public once entered."""
    return FreeClinic.objects.select_related("place").order_by("programme__code", "date", "id")


def charity_batches() -> QuerySet[CharityBatch]:
    return CharityBatch.objects.order_by("programme__code", "number")


def hospital_firsts() -> QuerySet[HospitalFirst]:
    return HospitalFirst.objects.select_related("hospital").order_by(
        "programme__code", "date", "code"
    )


def outreach(programme: Programme) -> dict[str, Any]:
    """Free clinics, the 抬头挺胸 batches and the hospital firsts, with their totals.

    `people_figure` is the reported number of people served (2000余人次) when the clinic records
    are illustrative: pages and the API quote it, and the records' sum only as their sum."""
    clinics = free_clinics().filter(programme=programme)
    charity = charity_batches().filter(programme=programme)
    clinic_totals = clinics.aggregate(count=Count("pk"), people=Sum("people_served"))
    charity_totals = charity.aggregate(
        count=Count("pk"),
        patients=Sum("patients"),
        funds=Sum("funds"),
        spine=Count("pk", filter=Q(spine=True)),
        knee=Count("pk", filter=Q(knee=True)),
        hip=Count("pk", filter=Q(hip=True)),
    )
    clinics_illustrative = clinics.filter(illustrative=True).exists()
    reported = ReportedFigure.objects.filter(programme=programme, code=CLINIC_PEOPLE_FIGURE).first()
    return {
        "clinics": list(clinics.order_by("date", "id")),
        "clinic_count": clinic_totals["count"],
        "people_served": clinic_totals["people"] or 0,
        "people_figure": reported if clinics_illustrative or not clinic_totals["count"] else None,
        "clinics_illustrative": clinics_illustrative,
        "charity_batches": list(charity.order_by("number")),
        "charity_count": charity_totals["count"],
        "charity_patients": charity_totals["patients"] or 0,
        "charity_funds": charity_totals["funds"] or Decimal("0.00"),
        "charity_conditions": {name: charity_totals[name] for name in ("spine", "knee", "hip")},
        "charity_illustrative": charity.filter(illustrative=True).exists(),
        "firsts": list(hospital_firsts().filter(programme=programme)),
    }


# The staff desk's queues: what waits for a caller who may act on it, oldest first; None for a
# caller who may not.


def deliveries_awaiting_verification(caller: Caller) -> QuerySet[Claim] | None:
    """Delivered claims nobody has verified or returned yet, for a caller who may verify."""
    if not caller.has_perm("medical.add_verification"):
        return None
    return (
        Claim.objects.filter(status=Claim.Status.DELIVERED)
        .select_related("item__call_list", "organisation")
        .order_by("delivered_on", "id")
    )


def needs_awaiting_triage(caller: Caller) -> QuerySet[Need] | None:
    """Collected needs not yet accepted or rejected, for a caller who may do either."""
    if not caller.has_perm("medical.change_need"):
        return None
    return (
        Need.objects.filter(status=Need.Status.COLLECTED)
        .select_related("requested_by")
        .order_by("collected_on", "id")
    )


def lists_past_claim_deadline(caller: Caller) -> QuerySet[CallList] | None:
    """Published lists whose claims closed before today and that are still open, for a caller
    who may close them (closing freezes their ranking)."""
    if not caller.has_perm("medical.change_calllist"):
        return None
    return CallList.objects.filter(
        status=CallList.Status.PUBLISHED, claim_deadline__lt=timezone.localdate()
    ).order_by("claim_deadline", "id")
