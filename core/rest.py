"""What every app's API shares below the API platform: bilingual text fields, choice labels,
and answering in the caller's language."""

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.views import APIView

LANGUAGES = ("zh-hans", "en")


class BilingualTextSerializer(serializers.Serializer[Any]):
    """Schema of a text kept in both languages: {"zh-hans": "...", "en": "..."}."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # The keys are language codes, which are not valid attribute names.
        return {language: serializers.CharField(allow_blank=True) for language in LANGUAGES}


@extend_schema_field(BilingualTextSerializer)
class BilingualField(serializers.Field[dict[str, str], Any, dict[str, str], Any]):
    """Both languages of a django-modeltranslation field, whatever the request's language.

    Partner systems store both; a missing translation is an empty string, not a fallback.
    """

    def __init__(self, source_field: str | None = None, **kwargs: Any) -> None:
        self.source_field = source_field
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def bind(self, field_name: str, parent: serializers.BaseSerializer[Any]) -> None:
        super().bind(field_name, parent)
        self.source_field = self.source_field or field_name

    def to_representation(self, instance: Any) -> dict[str, str]:
        return {
            language: getattr(instance, f"{self.source_field}_{language.replace('-', '_')}") or ""
            for language in LANGUAGES
        }


def label_field(choice_field: str) -> serializers.CharField:
    """The display label of a choice, in the language the request asked for."""
    return serializers.CharField(source=f"get_{choice_field}_display", read_only=True)


if TYPE_CHECKING:
    _View = APIView
else:
    _View = object  # the views that use the mixin bring APIView


class RequestLanguageMixin(_View):
    """Labels follow the caller's Accept-Language (or language cookie).

    The site's i18n_patterns pin every unprefixed URL, /api/v1/ included, to the default
    language; partner systems ask for a language by header, not by URL prefix.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        language = translation.get_language_from_request(request)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)
        response["Content-Language"] = language
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
