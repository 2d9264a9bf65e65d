"""The public education page. Thin: every figure comes from `education.selectors`, and only
cohort-level figures reach it."""

from decimal import Decimal

from django.http import Http404
from django.shortcuts import render

from education import selectors, suppression
from education.templatetags.education import shown
from projects import caching
from reference import selectors as reference_selectors


def _share(value, scale) -> Decimal:
    return Decimal(value) / Decimal(scale) if value is not None and scale else Decimal("0")


def _overview_figures(programme) -> dict:
    figures = selectors.programme_figures(programme)
    intakes = figures.intakes.intakes
    scale = max((intake.count.value or 0 for intake in intakes), default=0)
    intake_rows = [(intake, _share(intake.count.value, scale)) for intake in intakes]
    result_rows = [
        (
            stats,
            _share(stats.mean.value, stats.exam.maximum_score),
            _share(stats.highest.value, stats.exam.maximum_score),
        )
        for stats in figures.results
    ]
    # What each "<5" or "withheld" in the results table means, said once under it.
    withheld = {
        shown(figure): figure.reason_text
        for stats in figures.results
        for figure in (stats.sitting, stats.mean, stats.highest, stats.in_area_top_n)
        if figure.reason in (suppression.SMALL_GROUP, suppression.DIFFERENCING)
    }
    return {
        "figures": figures,
        "intake_rows": intake_rows,
        "result_rows": result_rows,
        "withheld": sorted(withheld.items()),
        # The pairing's other graduates (色尼籍高校毕业生) are not the class's: a section apart.
        "class_placements": [g for g in figures.placements if g.from_programme],
        "district_placements": [g for g in figures.placements if not g.from_programme],
        "min_group": suppression.min_group(),
    }


@caching.public_page
def overview(request):
    programme = selectors.public_programme(reference_selectors.default_programme())
    if programme is None:
        raise Http404
    figures = caching.cached_figures(
        request, "education", programme.pk, lambda: _overview_figures(programme)
    )
    return render(request, "education/overview.html", {"programme": programme, **figures})
