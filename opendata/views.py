"""The open-data files: thin views over `opendata.selectors` and the file builders."""

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from opendata import iati, selectors
from projects.selectors import data_as_of

XML = "application/xml; charset=utf-8"


def _reporter():
    # Without a registered identifier there is nothing to publish under (production default).
    reporter = selectors.reporting_organisation()
    if not settings.IATI_REPORTING_ORG_REF or reporter is None:
        raise Http404
    return reporter


@require_safe
def iati_activities(request):
    """A programme's published projects (`?programme=<code>`, else the default programme)."""
    reporter = _reporter()
    programme = selectors.programme(request.GET.get("programme"))
    if programme is None:
        raise Http404
    projects = selectors.programme_projects(programme)
    body = iati.activities_xml(projects, reporter, timezone.localdate())
    return HttpResponse(body, content_type=XML)


@require_safe
def iati_project(request, code: str):
    """One published project as an iati-activities file of its own."""
    reporter = _reporter()
    projects = selectors.project(code)
    if not projects:
        raise Http404
    return HttpResponse(
        iati.activities_xml(projects, reporter, timezone.localdate()), content_type=XML
    )


@require_safe
def iati_organisation(request):
    reporter = _reporter()
    budgets = selectors.organisation_budgets(reporter)
    return HttpResponse(iati.organisation_xml(reporter, budgets, data_as_of()), content_type=XML)
