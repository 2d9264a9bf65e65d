"""Version 1 of the public, read-only API: every app's routes, the schema and its docs."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from api.views import (
    ApiDocsView,
    ApiSchemaView,
    ProblemTypeDetailView,
    ProblemTypeListView,
)
from education.api.urls import routes as education_routes
from funding.api.urls import routes as funding_routes
from medical.api.urls import routes as medical_routes
from projects.api.urls import routes as project_routes
from reference.api.urls import routes as reference_routes

app_name = "api"


class Router(DefaultRouter):
    # Codes may contain dots, which a format suffix would swallow; JSON is the only format.
    include_format_suffixes = False


router = Router()
for prefix, viewset, basename in [
    *project_routes,
    *reference_routes,
    *funding_routes,
    *medical_routes,
    *education_routes,
]:
    router.register(prefix, viewset, basename=basename)  # type: ignore[arg-type]  # all viewsets

urlpatterns = [
    *router.urls,
    path("problems/", ProblemTypeListView.as_view(), name="problem-types"),
    path("problems/<slug:slug>", ProblemTypeDetailView.as_view(), name="problem-type"),
    path("schema/", ApiSchemaView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script for the CSP to block.
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
]
