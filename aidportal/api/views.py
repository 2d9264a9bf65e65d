"""Behaviour every API view shares."""

from django.utils import translation
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from aidportal.api.problems import PROBLEM_TYPES, TYPE_BASE


class ProblemTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    description = serializers.CharField()


class RequestLanguageMixin:
    """Labels follow the caller's Accept-Language (or language cookie).

    The site's i18n_patterns pin every unprefixed URL, /api/v1/ included, to the default
    language; partner systems ask for a language by header, not by URL prefix.
    """

    def dispatch(self, request, *args, **kwargs):
        language = translation.get_language_from_request(request)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)
        response["Content-Language"] = language
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


class ProblemTypeListView(RequestLanguageMixin, APIView):
    """Every problem `type` this API returns, with what it means."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses=ProblemTypeSerializer(many=True), operation_id="problem_types_list")
    def get(self, request):
        return Response(
            [
                {"type": TYPE_BASE + slug, "description": str(text)}
                for slug, text in PROBLEM_TYPES.items()
            ]
        )


class ProblemTypeDetailView(RequestLanguageMixin, APIView):
    """What one problem `type` means: the URI in an error's `type` resolves here."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(responses=ProblemTypeSerializer, operation_id="problem_types_retrieve")
    def get(self, request, slug: str):
        if slug not in PROBLEM_TYPES:
            raise NotFound()
        return Response({"type": TYPE_BASE + slug, "description": str(PROBLEM_TYPES[slug])})
