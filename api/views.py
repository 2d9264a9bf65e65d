"""Behaviour every API view shares."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_vary_headers
from drf_spectacular.plumbing import get_relative_url, set_query_parameters
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from api.problems import TYPE_BASE, problem_types
from core.rest import RequestLanguageMixin


class ProblemTypeSerializer(serializers.Serializer[Any]):
    type = serializers.CharField()
    description = serializers.CharField()


class ProblemTypeListView(RequestLanguageMixin, APIView):
    """Every problem `type` this API returns, with what it means."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses=ProblemTypeSerializer(many=True), operation_id="problem_types_list")
    def get(self, request: Request) -> Response:
        return Response(
            [
                {"type": TYPE_BASE + slug, "description": str(text)}
                for slug, text in problem_types().items()
            ]
        )


class ProblemTypeDetailView(RequestLanguageMixin, APIView):
    """What one problem `type` means: the URI in an error's `type` resolves here."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses=ProblemTypeSerializer, operation_id="problem_types_retrieve")
    def get(self, request: Request, slug: str) -> Response:
        types = problem_types()
        if slug not in types:
            raise NotFound()
        return Response({"type": TYPE_BASE + slug, "description": str(types[slug])})


class ApiDocsView(SpectacularSwaggerSplitView):
    """The interactive documentation in the reader's language: `?lang=` (the site's links pass
    the page's language), else Accept-Language or the language cookie. The page's `lang` and
    the schema it loads, the introduction included, follow it."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        language = request.GET.get("lang")
        if language not in dict(settings.LANGUAGES):
            language = translation.get_language_from_request(request)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)
            # Rendered here, while the language is active: the template reads it.
            response.render()  # type: ignore[attr-defined]  # Swagger UI's page is a TemplateResponse
        response["Content-Language"] = language
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

    def _get_schema_url(self, request: Request) -> str:
        schema_url = get_relative_url(reverse(self.url_name, request=request))
        return set_query_parameters(url=schema_url, lang=translation.get_language())


class ApiSchemaView(SpectacularAPIView):
    """The OpenAPI schema in the language `?lang=` names, else the one Accept-Language asks for,
    else English: its operations are documented in English, and partner tools that fetch it
    plainly get it as before."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        language = request.GET.get("lang")
        if language not in dict(settings.LANGUAGES):
            asked = "Accept-Language" in request.headers
            language = translation.get_language_from_request(request) if asked else "en"
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)
            # Rendered while the language is active: the schema's texts are lazy.
            response.render()  # type: ignore[attr-defined]  # the schema view answers with a DRF Response
        response["Content-Language"] = language
        patch_vary_headers(response, ("Accept-Language",))
        return response

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().get(request, *args, **kwargs)  # type: ignore[no-untyped-call]  # drf-spectacular leaves it untyped
        return response
