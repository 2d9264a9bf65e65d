"""Public funding pages and downloads. Thin: every figure comes from `funding.selectors`, over
the published projects of the programme the showcase opens on."""

import csv
import io
from collections.abc import Iterator
from decimal import Decimal

from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import translation
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


# Rows a download reads from the database, and writes, at a time: memory stays flat however
# many projects there are.
CHUNK_SIZE = 2000
# The columns holding text, which a spreadsheet could take for a formula; the others hold
# numbers and booleans written by this module.
TEXT_COLUMNS = range(5)


def _project_line(row, title, labels: dict[str, dict[str, str]], periods: dict[int, str]):
    figures = selectors.FundingFigures(
        planned=row["planned_investment"] or selectors.ZERO,
        **{name: row[f"total_{name}"] or selectors.ZERO for name in selectors.TOTALS},
    )
    illustrative = row["illustrative_records"] or "planned_investment" in (
        row["illustrative_fields"] or []
    )
    return [
        row["code"],
        title(row),
        labels["field"].get(row["field"], row["field"]),
        labels["category"].get(row["category"], row["category"]),
        periods.get(row["plan_period_id"], ""),
        _exact(figures.planned),
        _exact(figures.arrived),
        _exact(figures.disbursed),
        _exact(figures.spent),
        _exact(figures.pending),
        _percent(figures.arrival_rate),
        _percent(figures.disbursement_rate),
        "true" if illustrative else "false",
    ]


def _csv_chunks(header: list[str], lines) -> Iterator[str]:
    """The byte-order mark and the header, then the lines as CSV, CHUNK_SIZE lines a piece."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # the byte-order mark tells Excel the file is UTF-8
    writer.writerow([tables.neutralise(value) for value in header])
    for number, line in enumerate(lines, start=1):
        for column in TEXT_COLUMNS:
            line[column] = tables.neutralise(line[column])
        writer.writerow(line)
        if number % CHUNK_SIZE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def projects_csv(request):
    """Every project of the programme with its funding, streamed as it is read: a row per
    project from plain values, a chunk of rows at a time."""
    _programme, projects = _scope()
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
    # Labels are looked up once, not per row; the rows are written after the view returns, in
    # the request's language.
    labels = {
        "field": {key: str(label) for key, label in Project.Field.choices},
        "category": {key: str(label) for key, label in Project.Category.choices},
    }
    periods = {period.pk: str(period) for period in PlanPeriod.objects.all()}
    language = translation.get_language()

    def body() -> Iterator[str]:
        # Written after the view returns: in the request's language, in one transaction so
        # that PostgreSQL's JIT compiler, slower than the query itself here, can be left off.
        with translation.override(language), transaction.atomic():
            selectors.without_jit()
            title = selectors.title_reader()
            rows = selectors.project_rows(projects).iterator(chunk_size=CHUNK_SIZE)
            lines = (_project_line(row, title, labels, periods) for row in rows)
            yield from _csv_chunks(header, lines)

    response = StreamingHttpResponse(body(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="funding-by-project.csv"'
    return response
