"""Public funding pages and downloads. Thin: every figure comes from `funding.selectors`, over
the published projects of the programme the showcase opens on."""

from decimal import Decimal

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core import tables
from core.templatetags.portal import rate
from funding import selectors
from projects import caching
from projects.models import Project
from reference import selectors as reference_selectors
from reference.models import PlanPeriod

CENT = Decimal("0.01")


def _scope():
    programme = reference_selectors.default_programme()
    if programme is None:
        raise Http404
    return programme, selectors.projects_in_scope(public=True, programme=programme)


def _labelled(groups, choices) -> list[tuple[str, str, selectors.FundingFigures]]:
    """(key, label, figures) in the order of the choices, as the project pages list them."""
    order = {key: index for index, (key, _label) in enumerate(choices)}
    labels = dict(choices)
    return [
        (key, str(labels.get(key, key)), figures)
        for key, figures in sorted(groups, key=lambda group: order.get(group[0], len(order)))
    ]


def _overview_figures(programme, projects) -> dict:
    illustrative_years = selectors.illustrative_years(projects)
    donations = selectors.donations(public=True).filter(programme=programme)
    donation_list = list(donations)
    years = selectors.year_rows(projects)
    return {
        "figures": selectors.totals(projects),
        "years": years,
        "spending_recorded": selectors.spending_recorded(years),
        "illustrative_years": illustrative_years,
        "split_illustrative": bool(illustrative_years),
        "by_field": _labelled(selectors.by_group(projects, "field"), Project.Field.choices),
        "by_category": _labelled(
            selectors.by_group(projects, "category"), Project.Category.choices
        ),
        "donations": donation_list,
        "donations_illustrative": any(donation.illustrative for donation in donation_list),
        "donation_totals": selectors.donation_totals(donations),
        **_shares_figures(programme, selectors.policy_shares(projects)),
    }


def _shares_figures(programme, shares: selectors.PolicyShares) -> dict:
    """The shares, and their rows per plan period labelled with the period's name."""
    names: dict[str | int | None, str] = dict(
        PlanPeriod.objects.filter(programme=programme).values_list("code", "name")
    )
    return {
        "policy_shares": shares,
        "shares_by_period": [(names.get(row.key), row) for row in shares.by_period],
    }


@caching.public_page
def overview(request):
    programme, projects = _scope()
    figures = caching.cached_figures(
        request, "funding", programme.pk, lambda: _overview_figures(programme, projects)
    )
    return render(request, "funding/overview.html", {"programme": programme, **figures})


def _exact(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENT))


def _percent(share: Decimal | None) -> str:
    return rate(share).rstrip("%") if share is not None else ""


def _csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # the byte-order mark tells Excel the file is UTF-8
    tables.write_csv(response, [header, *rows])
    return response


def years_csv(request):
    _programme, projects = _scope()
    illustrative_years = selectors.illustrative_years(projects)
    header = [
        _("Year"),
        _("Due (CNY)"),
        _("Arrived (CNY)"),
        _("Disbursed (CNY)"),
        _("Spent (CNY)"),
        _("Payment rate (%)"),
        _("Illustrative"),
    ]
    rows = [
        [
            year.year,
            _exact(year.due),
            _exact(year.arrived),
            _exact(year.disbursed),
            _exact(year.spent),
            _percent(year.payment_rate),
            str(year.year in illustrative_years).lower(),
        ]
        for year in selectors.by_year(projects)
    ]
    return _csv_response("funding-by-year.csv", header, rows)


def projects_csv(request):
    _programme, projects = _scope()
    illustrative_ids = selectors.illustrative_projects(projects)
    figures = dict(selectors.by_group(projects, "code"))
    header = [
        _("Code"),
        _("Project"),
        _("Field"),
        _("Category"),
        _("Plan period"),
        _("Planned investment (CNY)"),
        _("Arrived (CNY)"),
        _("Disbursed (CNY)"),
        _("Spent (CNY)"),
        _("Awaiting approval (CNY)"),
        _("Arrival rate (%)"),
        _("Disbursement rate (%)"),
        _("Illustrative"),
    ]
    rows = []
    for project in projects.projects().select_related("plan_period").order_by("code"):
        row = figures[project.code]
        illustrative = project.pk in illustrative_ids or project.is_illustrative(
            "planned_investment"
        )
        rows.append(
            [
                project.code,
                project.title,
                project.get_field_display(),
                project.get_category_display(),
                project.plan_period or "",
                _exact(row.planned),
                _exact(row.arrived),
                _exact(row.disbursed),
                _exact(row.spent),
                _exact(row.pending),
                _percent(row.arrival_rate),
                _percent(row.disbursement_rate),
                str(illustrative).lower(),
            ]
        )
    return _csv_response("funding-by-project.csv", header, rows)
