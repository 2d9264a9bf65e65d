"""The public /medical/ page. Thin: every figure comes from `medical.selectors`, for the programme
the showcase opens on."""

from django.http import Http404
from django.shortcuts import render

from medical import selectors
from medical.models import Category
from projects import caching
from reference import selectors as reference_selectors


def _overview_figures(programme) -> dict:
    lists = list(selectors.board(programme))
    bulletins = list(selectors.published_bulletins(programme))
    return {
        "headline": selectors.headline(programme),
        "lists": lists,
        "batches": [
            {
                "list": call_list,
                "id": f"batch-{call_list.batch}",
                "rows": selectors.batch_leaderboard(call_list),
                "frozen": selectors.is_frozen(call_list),
            }
            for call_list in lists
        ],
        "overall": selectors.overall_leaderboard(programme),
        "bulletins": bulletins,
        "bulletins_illustrative": any(bulletin.illustrative for bulletin in bulletins),
        "board_illustrative": any(call_list.illustrative for call_list in lists),
        "outreach": selectors.outreach(programme),
        "category_points": [
            (Category(key).label, points) for key, points in selectors.CATEGORY_POINTS.items()
        ],
        "on_time_bonus": selectors.ON_TIME_BONUS,
        "score_divisor": selectors.SCORE_DIVISOR,
    }


@caching.public_page
def overview(request):
    programme = reference_selectors.default_programme()
    if programme is None:
        raise Http404
    figures = caching.cached_figures(
        request, "medical", programme.pk, lambda: _overview_figures(programme)
    )
    return render(request, "medical/overview.html", {"programme": programme, **figures})
