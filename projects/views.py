"""Public showcase pages. Thin: every figure comes from a selector."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from core.registry import app_modules
from projects import caching, selectors
from projects.filters import ProjectFilter
from reference import selectors as reference_selectors
from reference.models import Programme

PAGE_SIZE = 20


class CountedPaginator(Paginator):
    """A paginator told how many items there are instead of counting them."""

    def __init__(self, object_list, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @property
    def count(self) -> int:
        return self.known_count


def _contributed(hook: str, **kwargs) -> dict:
    """What the apps that build on projects add to a page's context: each `showcase` module's
    `hook(**kwargs)` (funding's figures on the home and project pages), in INSTALLED_APPS order."""
    context: dict = {}
    for module in app_modules("showcase"):
        contribute = getattr(module, hook, None)
        if contribute is not None:
            context.update(contribute(**kwargs))
    return context


def _app_sections(programme) -> list[tuple[str, dict]]:
    """Home-page sections of the apps that build on projects (medical, education), in
    INSTALLED_APPS order. Each such app has a `showcase` module whose `home_section(programme)`
    returns (template name, context) or None when it has nothing to show; projects never imports
    those apps by name.
    """
    sections = []
    for module in app_modules("showcase"):
        home_section = getattr(module, "home_section", None)
        section = home_section(programme) if home_section else None
        if section is not None:
            sections.append(section)
    return sections


def _home_figures(programme) -> dict:
    """Everything the home page shows of a programme, evaluated (lists, not lazy querysets) so
    that it can be cached."""
    return {
        "other_programmes": list(Programme.objects.exclude(pk=programme.pk).order_by("code")),
        "figures": selectors.programme_figures(programme),
        "place_map": selectors.place_map(programme),
        "flagships": list(
            selectors.published_projects()
            .filter(programme=programme, flagship=True)
            .order_by("code")[:6]
        ),
        "updates": list(selectors.latest_updates(programme)),
        "events": list(selectors.published_events(programme)[:5]),
        "team": reference_selectors.team_summary(programme),
        "reported": list(reference_selectors.reported_figures(programme)),
        "exchanges": reference_selectors.exchange_totals(programme),
        **_contributed("home_figures", programme=programme),
        "sections": _app_sections(programme),
    }


@caching.public_page
def home(request, programme_code: str | None = None):
    if programme_code is None:
        programme = reference_selectors.default_programme()
    else:
        programme = get_object_or_404(
            Programme.objects.select_related("donor", "partner", "partner_place"),
            code=programme_code,
        )
    if programme is None:
        return render(request, "projects/empty.html", status=200)
    figures = caching.cached_figures(
        request, "home", programme.pk, lambda: _home_figures(programme)
    )
    return render(
        request,
        "projects/home.html",
        {"programme": programme, "showcase_programme": programme, **figures},
    )


@caching.public_page
def project_list(request):
    project_filter = ProjectFilter(request.GET or None, queryset=selectors.published_projects())
    if project_filter.is_bound and not project_filter.is_valid():
        projects = selectors.published_projects().none()
    else:
        projects = project_filter.qs
    filtered = any(value for key, value in request.GET.items() if key != "page")
    if filtered:
        paginator = Paginator(projects, PAGE_SIZE)
    else:
        # Every published project: counted by the project counts, not by reading them all.
        paginator = CountedPaginator(projects, PAGE_SIZE, selectors.published_project_count())
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/project_list.html",
        {"filter": project_filter, "page": page, "query": query.urlencode()},
    )


@caching.public_page(version=lambda request, code: selectors.data_as_of(project_code=code))
def project_detail(request, code: str):
    project = selectors.published_project_detail(code)
    milestones = list(project.milestones.all())
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "milestones": milestones,
            "durations": selectors.milestone_durations(milestones),
            "place_map": selectors.place_map(project.programme, highlight=project.place),
            "events": selectors.published_events().filter(project=project),
            "workflow_steps": list(selectors.public_steps(project)),
            "approved_plan": selectors.approved_plan(project),
            "inspections": selectors.inspection_counts(project),
            "published_findings": list(selectors.published_findings(project)),
            **_contributed("project_figures", project=project),
        },
    )


@caching.public_page
def timeline(request):
    programme = reference_selectors.default_programme()
    if programme is None:
        raise Http404
    events = selectors.published_events(programme).order_by("date", "id")
    return render(request, "projects/timeline.html", {"programme": programme, "events": events})
