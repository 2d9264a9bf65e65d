"""Small-cell suppression of the public education figures: which count is withheld, and why.

Any figure over fewer than EDUCATION_MIN_GROUP_SIZE students is withheld (primary suppression),
and so is any figure that, with another published one, would reveal such a group by subtraction
(secondary suppression). `education.selectors` applies these rules to intakes and results.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# Why a figure is not shown; the API gives the code and the text.
SMALL_GROUP = "small-group"
DIFFERENCING = "differencing"
INDIVIDUAL_SCORE = "individual-score"
NOT_REPORTED = "not-reported"
REASONS = {
    SMALL_GROUP: _("Computed over fewer students than the minimum group size."),
    DIFFERENCING: _(
        "Withheld because, with another published figure, it would reveal a group smaller than "
        "the minimum group size."
    ),
    INDIVIDUAL_SCORE: _("A single student's score; not published."),
    NOT_REPORTED: _("The source does not report it, and no individual results are recorded."),
}


def min_group() -> int:
    return settings.EDUCATION_MIN_GROUP_SIZE


@dataclass(frozen=True)
class Figure:
    """A published figure, or None with the reason it is not."""

    value: Decimal | int | None
    reason: str | None = None

    @property
    def shown(self) -> bool:
        return self.reason is None and self.value is not None

    @property
    def reason_text(self) -> str:
        return str(REASONS[self.reason]) if self.reason else ""


def hidden(reason: str) -> Figure:
    return Figure(None, reason)


def small(count: int) -> bool:
    return 0 < count < min_group()


def suppress_cells(counts: list[int], *, total_published: bool) -> tuple[list[str | None], bool]:
    """Primary and secondary suppression of counts that add up to a total.

    Each count of 1 to min−1 is suppressed. When the total is published, the suppressed counts
    can be had together by subtraction, so more counts (smallest first) are suppressed until the
    suppressed ones add up to 0 or at least the minimum; if none is left to suppress, the total
    is. Returns a reason (or None) per count, and whether the total must be suppressed.
    """
    reasons: list[str | None] = [SMALL_GROUP if small(count) else None for count in counts]
    if not total_published:
        return reasons, False
    while small(sum(c for c, r in zip(counts, reasons, strict=True) if r)):
        candidates = [
            i for i, (c, r) in enumerate(zip(counts, reasons, strict=True)) if not r and c
        ]
        if not candidates:
            return reasons, True
        reasons[min(candidates, key=lambda i: counts[i])] = DIFFERENCING
    return reasons, False


def part_of(count: int, whole: int) -> Figure:
    """A count of students out of a published whole: both it and what is left over must be 0 or
    at least the minimum."""
    if small(count):
        return hidden(SMALL_GROUP)
    if small(whole - count):
        return hidden(DIFFERENCING)
    return Figure(count)
