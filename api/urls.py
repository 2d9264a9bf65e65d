"""Version 1 of the public API: the routes each app lists in its `api/urls.py` (as `routes`,
found in INSTALLED_APPS order), the problem types, the schema and its docs."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from api.views import (
    ApiDocsView,
    ApiSchemaView,
    ProblemTypeDetailView,
    ProblemTypeListView,
)
from core.registry import app_modules

app_name = "api"


class Router(DefaultRouter):
    # Codes may contain dots, which a format suffix would swallow; JSON is the only format.
    include_format_suffixes = False


router = Router()
for module in app_modules("api.urls"):
    for prefix, viewset, basename in module.routes:
        router.register(prefix, viewset, basename=basename)

urlpatterns = [
    *router.urls,
    path("problems/", ProblemTypeListView.as_view(), name="problem-types"),
    path("problems/<slug:slug>", ProblemTypeDetailView.as_view(), name="problem-type"),
    path("schema/", ApiSchemaView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: no inline script for the CSP to block.
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
]
